"""Which rollups a role set may read, and the formulas that inherit a rollup's restriction.

A rollup sums, counts or picks over *every* live child, including children the
caller's record scope hides, so it is readable only by role sets that reach every
child: some role grants scope ``all`` without a ``where`` on the child entity and may
read it, and the rollup's back reference, aggregated field and ``where`` fields are
readable there. Otherwise it is *restricted*: treated exactly like a hidden field.
A package opts an aggregate out with ``visible_to_all: true``. A formula that reads a
restricted field (also through a reference, ``account.pipeline_value``) is
restricted too, and so is a rollup over a restricted field of its children.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from trellis.metadata.model import AppModel, DslType, FieldDef, FieldType
from trellis.platform.records.compiled import CompiledApp
from trellis.rules.expr import compile_expression

#: An entity field: ``("opportunity", "amount")``.
FieldKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ScopeReach:
    """What a role set reaches of one entity, as the rollup rules need it."""

    #: Some role may read the entity with scope ``all`` and no ``where``.
    every_record: bool
    #: Fields hidden by ``roles.yaml``.
    hidden: frozenset[str]


def _path_fields(model: AppModel, entity: str, path: tuple[str, ...]) -> Iterator[FieldKey]:
    """The fields read along ``path`` from ``entity`` (references followed)."""
    current = model.entities.get(entity)
    for segment in path:
        if current is None:
            return
        f = current.fields.get(segment)
        if f is None:
            return
        yield current.name, segment
        current = model.entities.get(f.to) if f.type == FieldType.REFERENCE and f.to else None


def _rollup_reads(app: CompiledApp, f: FieldDef) -> tuple[str, tuple[FieldKey, ...]]:
    """The child entity of rollup ``f`` and the child fields its value depends on."""
    spec = f.rollup
    if spec is None:
        raise ValueError(f"field '{f.name}' is not a rollup")
    reads: list[FieldKey] = [(spec.entity, spec.via)]
    if spec.field is not None:
        reads.append((spec.entity, spec.field))
    if spec.where:
        child = app.model.entity(spec.entity)
        where = compile_expression(spec.where, child, app.model, expected=DslType.BOOLEAN)
        for path in where.field_paths:
            reads.extend(_path_fields(app.model, spec.entity, path))
    return spec.entity, tuple(reads)


def _formula_reads(app: CompiledApp) -> dict[FieldKey, tuple[FieldKey, ...]]:
    """Formula field -> every field its formula reads (through references too)."""
    reads: dict[FieldKey, tuple[FieldKey, ...]] = {}
    for name, compiled in app.entities.items():
        for f, formula in compiled.formulas:
            found = [k for p in formula.field_paths for k in _path_fields(app.model, name, p)]
            reads[(name, f.name)] = tuple(found)
    return reads


def restricted_fields(
    app: CompiledApp, reach: Mapping[str, ScopeReach]
) -> dict[str, frozenset[str]]:
    """Per entity, the rollups and formulas the role set may not read because of scope.

    The result may overlap the fields ``roles.yaml`` hides; it is computed to a fixed
    point, so rollups of rollups and formulas of formulas follow.
    """
    rollups: dict[FieldKey, tuple[str, tuple[FieldKey, ...]]] = {
        (name, f.name): _rollup_reads(app, f)
        for name, compiled in app.entities.items()
        for f in compiled.entity.fields.values()
        if f.rollup is not None and not f.visible_to_all
    }
    formulas = _formula_reads(app)
    restricted: set[FieldKey] = set()

    def unreadable(key: FieldKey) -> bool:
        entity, name = key
        return key in restricted or name in reach[entity].hidden

    changed = True
    while changed:
        changed = False
        for key, (child, reads) in rollups.items():
            if key in restricted:
                continue
            if not reach[child].every_record or any(unreadable(k) for k in reads):
                restricted.add(key)
                changed = True
        for key, reads in formulas.items():
            if key not in restricted and any(k in restricted for k in reads):
                restricted.add(key)
                changed = True
    found: dict[str, set[str]] = {}
    for entity, name in restricted:
        found.setdefault(entity, set()).add(name)
    return {entity: frozenset(names) for entity, names in found.items()}


__all__ = ["ScopeReach", "restricted_fields"]
