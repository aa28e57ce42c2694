"""``lines`` fields: their own keys, then the line entity and its reference back.

A lines field (``items: {type: lines, entity: invoice_line}``) is not a column: the
loader keeps it in ``EntityDef.lines``. Once every entity is built, each is resolved
against its line entity: the reference back (``parent_field`` or the one reference to
the parent), which the loader makes ``on_delete: cascade`` so deleting (and restoring)
the parent takes its lines along.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model import LINES_TYPE, AppModel, EntityDef, FieldType, LinesDef
from trellis.metadata.model.local_text import local_text

#: The keys a lines field may have.
LINES_KEYS = frozenset(
    {"type", "label", "description", "entity", "parent_field", "min", "max", "required"}
)


def is_lines(spec: Any) -> bool:
    """Whether a raw field spec declares a ``lines`` field."""
    return isinstance(spec, dict) and spec.get("type") == LINES_TYPE


def check_lines_field(
    name: str, spec: dict[str, Any], positions: PositionMap, report: Report
) -> None:
    """Report what is wrong with lines field ``name`` on its own (MD253, MD256, MD019)."""
    path: NodePath = ("fields", name)
    for key in spec:
        if key not in LINES_KEYS:
            message = (
                f"field '{name}': '{key}' does not apply to type 'lines' (it takes "
                "entity, parent_field, min, max, required, label, description)"
            )
            report.error("MD019", message, positions.anchor((*path, key)))
    if not isinstance(spec.get("entity"), str):
        message = f"field '{name}': a lines field needs 'entity' (the entity of its lines)"
        report.error("MD253", message, positions.anchor(path))
    low, high = _count(spec.get("min")), _count(spec.get("max"))
    for key, value in (("min", spec.get("min")), ("max", spec.get("max"))):
        if value is not None and _count(value) is None:
            message = (
                f"field '{name}': '{key}' of a lines field is a whole number of lines (0 or more)"
            )
            report.error("MD256", message, positions.value((*path, key)))
    if low is not None and high is not None and low > high:
        message = f"field '{name}': min {low} lines is more than max {high}"
        report.error("MD256", message, positions.anchor((*path, "max")))


def build_lines(specs: Mapping[str, Any], positions: PositionMap) -> Mapping[str, LinesDef]:
    """The lines fields among an entity's raw field specs (unresolved)."""
    out: dict[str, LinesDef] = {}
    for name, spec in specs.items():
        if not is_lines(spec) or not isinstance(spec.get("entity"), str):
            continue
        parent_field = spec.get("parent_field")
        out[name] = LinesDef(
            name=name,
            entity=spec["entity"],
            label=local_text(spec.get("label")) or name.replace("_", " ").capitalize(),
            parent_field=parent_field if isinstance(parent_field, str) else None,
            min=_count(spec.get("min")),
            max=_count(spec.get("max")),
            required=spec.get("required") is True,
            source=positions.anchor(("fields", name)),
        )
    return MappingProxyType(out)


def resolve_lines(
    model: AppModel,
    positions: Mapping[str, PositionMap],
    broken: Collection[str],
    report: Report,
) -> AppModel:
    """Check every lines field against its line entity and resolve the reference back.

    Reports MD253 (unknown line entity), MD254 (no single reference back), MD255
    (a line entity with lines of its own, or lines of two parents).
    """
    entities = dict(model.entities)
    owners: dict[str, str] = {}
    for parent in model.entities.values():
        resolved: dict[str, LinesDef] = {}
        for lines in parent.lines.values():
            at = positions[parent.name]
            found = _resolve(model, parent, lines, at, broken, owners, report)
            if found is None:
                continue
            resolved[lines.name] = found
            owners[found.entity] = f"{parent.name}.{lines.name}"
            child = entities[found.entity]
            back = replace(child.fields[str(found.parent_field)], on_delete="cascade")
            fields = MappingProxyType({**child.fields, back.name: back})
            entities[child.name] = replace(child, fields=fields)
        if parent.lines:
            entities[parent.name] = replace(entities[parent.name], lines=MappingProxyType(resolved))
    return replace(model, entities=MappingProxyType(entities))


def _resolve(
    model: AppModel,
    parent: EntityDef,
    lines: LinesDef,
    at: PositionMap,
    broken: Collection[str],
    owners: dict[str, str],
    report: Report,
) -> LinesDef | None:
    path: NodePath = ("fields", lines.name)
    child = model.entities.get(lines.entity)
    if child is None:
        if lines.entity not in broken:
            report.error(
                "MD253",
                f"field '{lines.name}': unknown line entity '{lines.entity}'",
                at.value((*path, "entity")),
                did_you_mean(lines.entity, model.entities),
            )
        return None
    if child.lines or child.name == parent.name:
        message = (
            f"field '{lines.name}': entity '{child.name}' has lines of its own; lines "
            "do not nest (a line entity cannot declare a lines field)"
        )
        report.error("MD255", message, at.value((*path, "entity")))
        return None
    if child.name in owners:
        message = (
            f"field '{lines.name}': entity '{child.name}' already holds the lines of "
            f"{owners[child.name]}; a line entity belongs to one parent"
        )
        report.error("MD255", message, at.value((*path, "entity")))
        return None
    backs = [
        f.name
        for f in child.fields.values()
        if f.type == FieldType.REFERENCE and f.to == parent.name and not f.computed
    ]
    if lines.parent_field is not None:
        if lines.parent_field in backs:
            return lines
        message = (
            f"field '{lines.name}': parent_field '{lines.parent_field}' is not a reference "
            f"of '{child.name}' to '{parent.name}'"
        )
        span = at.value((*path, "parent_field"))
        report.error("MD254", message, span, did_you_mean(lines.parent_field, backs))
        return None
    if len(backs) == 1:
        return replace(lines, parent_field=backs[0])
    if not backs:
        message = (
            f"field '{lines.name}': entity '{child.name}' has no reference back to "
            f"'{parent.name}'; add one, e.g. '{parent.name}: {{type: reference, to: "
            f"{parent.name}}}'"
        )
        report.error("MD254", message, at.value((*path, "entity")))
        return None
    message = (
        f"field '{lines.name}': entity '{child.name}' has several references to "
        f"'{parent.name}' ({', '.join(backs)}); name one with 'parent_field'"
    )
    report.error("MD254", message, at.anchor(path))
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


__all__ = ["LINES_KEYS", "build_lines", "check_lines_field", "is_lines", "resolve_lines"]
