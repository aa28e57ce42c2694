"""Cross-checks inside one entity file, and references between entities."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from itertools import pairwise
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._currency_checks import check_money_fields
from trellis.metadata.loader._field_checks import TARGETED
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model import STANDARD_COLUMNS, AppModel, EntityDef, FieldType

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NAME_HINT = "lowercase letters, digits and '_', starting with a letter, at most 40 characters"
_CURRENCY_TYPES = (FieldType.ENUM, FieldType.STRING)


def check_entity_name(stem: str, data: Any, positions: PositionMap, report: Report) -> bool:
    """Check the file name and the ``entity`` key; False when the name is unusable."""
    if not NAME.match(stem):
        message = f"file name '{stem}' is not a valid entity name; expected {NAME_HINT}"
        report.error("MD006", message, positions.value(()))
        return False
    declared = data.get("entity") if isinstance(data, dict) else None
    if isinstance(declared, str) and NAME.match(declared) and declared != stem:
        message = f"entity '{declared}' does not match its file name '{stem}'"
        report.error("MD014", message, positions.value(("entity",)), stem)
    return True


def _field_specs(data: Any) -> dict[str, Any]:
    specs = data.get("fields") if isinstance(data, dict) else None
    return specs if isinstance(specs, dict) else {}


def _unknown_field(
    where: str,
    name: Any,
    path: NodePath,
    known: Collection[str],
    positions: PositionMap,
    report: Report,
) -> bool:
    """Report ``name`` at ``path`` when it is text but not in ``known``."""
    if not isinstance(name, str) or name in known:
        return False
    report.error(
        "MD012",
        f"{where}: unknown field '{name}'",
        positions.value(path),
        did_you_mean(name, known),
    )
    return True


def check_entity(data: Any, positions: PositionMap, report: Report) -> None:
    """Report references to unknown fields and misused renames inside one entity."""
    data = data if isinstance(data, dict) else {}
    specs = _field_specs(data)
    declared = list(specs)
    _unknown_field("title", data.get("title"), ("title",), declared, positions, report)
    search = data.get("search")
    for i, item in enumerate(search if isinstance(search, list) else []):
        head = item.split(".", 1)[0] if isinstance(item, str) else None
        _unknown_field("search", head, ("search", i), declared, positions, report)
        if head in specs and isinstance(specs[head], dict) and specs[head].get("encrypted"):
            message = (
                f"search field '{head}' is encrypted: its text cannot be indexed for search "
                "(find it with an exact-match filter)"
            )
            report.error("MD371", message, positions.anchor(("search", i)))
    _check_index_fields(data, [*declared, *STANDARD_COLUMNS], positions, report)
    validations = data.get("validations")
    for i, item in enumerate(validations if isinstance(validations, list) else []):
        if isinstance(item, dict):
            path: NodePath = ("validations", i, "field")
            _unknown_field(
                f"validation {i + 1}", item.get("field"), path, declared, positions, report
            )
    _check_field_links(specs, positions, report)
    _check_activity(data.get("activity_fields"), specs, positions, report)
    check_money_fields(specs, positions, report)


#: The field types each key of the ``activity_fields:`` block accepts.
_ACTIVITY_TYPES = {
    "kind": (FieldType.ENUM,),
    "done": (FieldType.BOOLEAN,),
    "date": (FieldType.DATE, FieldType.DATETIME),
}


def _check_activity(
    block: Any, specs: Mapping[str, Any], positions: PositionMap, report: Report
) -> None:
    """The fields named by ``activity_fields:`` exist and have the type their role needs."""
    if not isinstance(block, dict):
        return
    for key, types in _ACTIVITY_TYPES.items():
        name = block.get(key)
        path: NodePath = ("activity_fields", key)
        if _unknown_field(f"activity_fields {key}", name, path, list(specs), positions, report):
            continue
        spec = specs.get(name) if isinstance(name, str) else None
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, str) and kind not in types:
            wanted = " or ".join(t.value for t in types)
            article = "an" if wanted[0] in "aeiou" else "a"
            message = (
                f"activity_fields {key} '{name}' must be {article} {wanted} field, not '{kind}'"
            )
            report.error("MD136", message, positions.value(path))


def _check_index_fields(
    data: Mapping[str, Any], known: list[str], positions: PositionMap, report: Report
) -> None:
    indexes = data.get("indexes")
    for i, item in enumerate(indexes if isinstance(indexes, list) else []):
        base: NodePath = ("indexes", i)
        if isinstance(item, dict):
            item, base = item.get("fields"), (*base, "fields")
        for j, name in enumerate(item if isinstance(item, list) else []):
            _unknown_field(f"index {i + 1}", name, (*base, j), known, positions, report)


def _check_field_links(specs: Mapping[str, Any], positions: PositionMap, report: Report) -> None:
    renamed: dict[str, str] = {}
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            continue
        path: NodePath = ("fields", name)
        where = f"field '{name}': currency_field"
        currency = spec.get("currency_field")
        known = list(specs)
        if not _unknown_field(where, currency, (*path, "currency_field"), known, positions, report):
            target = specs.get(currency) if isinstance(currency, str) else None
            kind = target.get("type") if isinstance(target, dict) else None
            if isinstance(kind, str) and kind not in _CURRENCY_TYPES:
                message = f"{where} '{currency}' must be an enum or string field, not '{kind}'"
                report.error("MD028", message, positions.value((*path, "currency_field")))
        old = spec.get("renamed_from")
        if not isinstance(old, str):
            continue
        span = positions.value((*path, "renamed_from"))
        if old in specs:
            message = f"field '{name}': renamed_from '{old}', but field '{old}' still exists"
            report.error("MD027", message, span)
        elif old in renamed:
            message = f"field '{name}': '{old}' is already renamed to '{renamed[old]}'"
            report.error("MD027", message, span)
        renamed.setdefault(old, name)


def check_entity_rename(
    model: AppModel, entity: EntityDef, positions: PositionMap, report: Report
) -> None:
    """MD027: an entity's ``renamed_from`` names an entity that still exists."""
    old = entity.renamed_from
    if old is not None and old in model.entities:
        message = f"entity '{entity.name}': renamed_from '{old}', but entity '{old}' still exists"
        report.error("MD027", message, positions.value(("renamed_from",)))


def check_references(
    model: AppModel,
    entity: EntityDef,
    data: Any,
    positions: PositionMap,
    broken: Collection[str],
    report: Report,
) -> None:
    """Check ``to:`` targets and dotted search paths against the whole model.

    Entities in ``broken`` exist as files that could not be read; references to
    them are not reported again.
    """
    for name, spec in _field_specs(data).items():
        _check_targets(model, name, spec, positions, broken, report)
        _check_filter_of(model, name, spec, positions, broken, report)
        target = spec.get("to") if isinstance(spec, dict) else None
        if spec_type(spec) not in TARGETED or not isinstance(target, str):
            continue
        if NAME.match(target) and target not in model.entities and target not in broken:
            report.error(
                "MD011",
                f"field '{name}': unknown entity '{target}'",
                positions.value(("fields", name, "to")),
                did_you_mean(target, model.entities),
            )
    search = data.get("search") if isinstance(data, dict) else None
    for i, item in enumerate(search if isinstance(search, list) else []):
        if isinstance(item, str) and "." in item:
            _check_search_path(model, entity, item, ("search", i), broken, positions, report)


def _check_targets(
    model: AppModel,
    name: str,
    spec: Any,
    positions: PositionMap,
    broken: Collection[str],
    report: Report,
) -> None:
    """Each entity an ``any_reference`` field lists in ``targets`` must exist."""
    targets = spec.get("targets") if isinstance(spec, dict) else None
    if spec_type(spec) != FieldType.ANY_REFERENCE or not isinstance(targets, list):
        return
    for i, target in enumerate(targets):
        if not isinstance(target, str) or not NAME.match(target):
            continue
        if target not in model.entities and target not in broken:
            report.error(
                "MD252",
                f"field '{name}': unknown entity '{target}' in targets",
                positions.value(("fields", name, "targets", i)),
                did_you_mean(target, model.entities),
            )


def _check_filter_of(
    model: AppModel,
    name: str,
    spec: Any,
    positions: PositionMap,
    broken: Collection[str],
    report: Report,
) -> None:
    """MD380: the entity a filter field's ``filter_of`` names must exist."""
    target = spec.get("filter_of") if isinstance(spec, dict) else None
    if not isinstance(target, str) or not NAME.match(target):
        return
    if target not in model.entities and target not in broken:
        report.error(
            "MD380",
            f"field '{name}': filter_of names an unknown entity '{target}'",
            positions.value(("fields", name, "filter_of")),
            did_you_mean(target, model.entities),
        )


def spec_type(spec: Any) -> str | None:
    """The ``type`` of a raw field spec, when it is text."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    return kind if isinstance(kind, str) else None


def _check_search_path(
    model: AppModel,
    entity: EntityDef,
    item: str,
    path: NodePath,
    broken: Collection[str],
    positions: PositionMap,
    report: Report,
) -> None:
    segments = item.split(".")
    current = entity
    for previous, segment in pairwise(segments):
        field = current.fields.get(previous)
        if field is None:
            return  # unknown first segment: reported by check_entity
        if field.type != FieldType.REFERENCE:
            message = f"search: '{previous}' in '{item}' is not a reference and has no fields"
            report.error("MD012", message, positions.value(path))
            return
        if field.to is None or field.to in broken or field.to not in model.entities:
            return
        current = model.entities[field.to]
        if segment not in current.fields:
            report.error(
                "MD012",
                f"search: unknown field '{segment}' in entity '{current.name}'",
                positions.value(path),
                did_you_mean(segment, current.fields),
            )
            return
