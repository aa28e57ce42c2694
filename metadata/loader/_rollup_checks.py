"""Cross-checks of rollup fields: the child entity, its reference back, the aggregated field."""

from __future__ import annotations

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import PositionMap
from trellis.metadata.model import FIELD_TYPES, AppModel, DslType, EntityDef, FieldType

#: Aggregates that need a numeric field.
NUMERIC_AGGREGATES = frozenset({"sum", "avg"})
ORDERED_TYPES = frozenset({DslType.NUMBER, DslType.DATE, DslType.DATETIME})


def check_rollups(
    model: AppModel, entity: EntityDef, positions: PositionMap, report: Report
) -> None:
    """Report rollups whose child entity, back reference or aggregated field is wrong."""
    for f in entity.fields.values():
        rollup = f.rollup
        if rollup is None:
            continue
        where = positions.value(("fields", f.name, "rollup", "from"))
        child = model.entities.get(rollup.entity)
        if child is None:
            message = f"field '{f.name}': rollup from unknown entity '{rollup.entity}'"
            report.error("MD051", message, where, did_you_mean(rollup.entity, model.entities))
            continue
        via = child.fields.get(rollup.via)
        if via is None or via.type != FieldType.REFERENCE or via.to != entity.name:
            candidates = [
                n
                for n, c in child.fields.items()
                if c.type == FieldType.REFERENCE and c.to == entity.name
            ]
            message = (
                f"field '{f.name}': '{rollup.entity}.{rollup.via}' must be a reference from "
                f"'{rollup.entity}' to '{entity.name}'"
            )
            report.error("MD052", message, where, did_you_mean(rollup.via, candidates))
            continue
        _check_aggregated_field(f.name, rollup.agg, rollup.field, child, positions, report)
        target = child.fields.get(rollup.field) if rollup.field else None
        converts = target is not None and target.type == FieldType.MONEY and target.currency_field
        if f.currency_field and converts and rollup.agg != "count":
            message = (
                f"field '{f.name}': a rollup of '{rollup.entity}.{rollup.field}' (amounts that "
                "carry their currency) is in the base currency; remove its currency_field"
            )
            report.error("MD215", message, positions.value(("fields", f.name, "currency_field")))


def _check_aggregated_field(
    name: str,
    agg: str,
    field: str | None,
    child: EntityDef,
    positions: PositionMap,
    report: Report,
) -> None:
    anchor = positions.anchor(("fields", name, "rollup"))
    if field is None:
        if agg != "count":
            message = f"field '{name}': rollup '{agg}' needs 'field' (the child field to aggregate)"
            report.error("MD053", message, anchor)
        return
    where = positions.value(("fields", name, "rollup", "field"))
    target = child.fields.get(field)
    if target is None:
        message = f"field '{name}': rollup field '{field}' is not a field of '{child.name}'"
        report.error("MD053", message, where, did_you_mean(field, child.fields))
        return
    dsl = FIELD_TYPES[target.type].dsl_type
    if (agg in NUMERIC_AGGREGATES and dsl is not DslType.NUMBER) or dsl not in ORDERED_TYPES:
        message = (
            f"field '{name}': rollup '{agg}' cannot aggregate '{field}' of type '{target.type}'"
        )
        report.error("MD053", message, where)


__all__ = ["check_rollups"]
