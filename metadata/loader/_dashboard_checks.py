"""Cross-check dashboard tiles against the entities, and their ``where`` conditions.

Codes: MD111 (unknown entity), MD112 (unknown field in ``field`` or ``group_by``),
MD113 (``agg`` and ``field`` do not fit: sum/avg/min/max need a number field,
``count`` takes none), MD114 (a chart without ``group_by`` or a KPI with one),
MD115 (a ``group_by`` that cannot group as asked), MD116 (a ``where`` the rule
checker refuses), MD420 (a tile whose keys do not fit its kind: a ``ratio`` takes its
aggregates in ``numerator``, ``minus`` and ``denominator``, other kinds take none of
those), MD421 (a ``having`` item whose field is not a reference to the tile's entity;
its unknown entity or field is MD111 or MD112, its ``where`` MD116). Each part of a ratio
is checked like a KPI tile of its own, and so is a line chart's ``compare`` series (which
must group by the tile's time bucket, MD115; ``compare`` on another kind is MD420).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol, runtime_checkable

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.loader._dashboards import Dashboards
from trellis.metadata.loader._entity_checks import NAME, spec_type
from trellis.metadata.loader._expressions import ExpressionChecker
from trellis.metadata.loader._formula_deps import mentions
from trellis.metadata.loader._layout_checks import field_specs
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    CHART_KINDS,
    FIELD_TYPES,
    LAYOUT_STANDARD_COLUMNS,
    NUMBER_FIELD_TYPES,
    RATIO_PARTS,
    STANDARD_COLUMNS,
    AppModel,
    DslType,
    EntityDef,
    FieldType,
    MeasureDef,
    SourceSpan,
    TileDef,
)

#: Field types whose values are few and discrete enough to group by.
GROUPABLE_TYPES = (
    FieldType.STRING,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
    FieldType.ENUM,
    FieldType.PIPELINE,
    FieldType.BOOLEAN,
    FieldType.REFERENCE,
    FieldType.USER,
    FieldType.INTEGER,
    FieldType.AUTONUMBER,
)
#: Field types grouped by a time bucket (``close_date:month``).
DATE_TYPES = (FieldType.DATE, FieldType.DATETIME)
#: Field types a funnel can order its steps by.
FUNNEL_TYPES = (FieldType.PIPELINE, FieldType.ENUM)
#: Keys of an aggregate tile that a ratio takes in its parts instead.
_AGGREGATE_KEYS = ("entity", "agg", "field", "group_by", "where", "having")
#: Standard columns as field types, for grouping (``id`` and ``version`` never group).
_STANDARD_TYPES = {
    "owner_id": FieldType.USER,
    "created_by": FieldType.USER,
    "updated_by": FieldType.USER,
    "created_at": FieldType.DATETIME,
    "updated_at": FieldType.DATETIME,
}


@runtime_checkable
class QueryConditionChecker(Protocol):
    """Optionally implemented by a checker: a boolean that must have an SQL form."""

    def check_query_condition(
        self, source: str, entity: EntityDef, model: AppModel, *, span: SourceSpan
    ) -> list[Diagnostic]: ...


def _type_of(name: str, specs: Mapping[str, Any]) -> str | None:
    if name in specs:
        return spec_type(specs[name])
    return _STANDARD_TYPES.get(name)


class _TileCheck:
    """Checks one tile of one dashboard file."""

    def __init__(
        self,
        item: Mapping[str, Any],
        index: int,
        positions: PositionMap,
        report: Report,
        part: str | None = None,
    ) -> None:
        self.item = item
        self.path: NodePath = ("tiles", index, part) if part else ("tiles", index)
        self.where = f"tile {index + 1} {part}" if part else f"tile {index + 1}"
        self.positions = positions
        self.report = report

    def error(self, code: str, message: str, key: str, suggestion: str | None = None) -> None:
        span = self.positions.value((*self.path, key))
        self.report.error(code, f"{self.where}: {message}", span, suggestion)

    def run(self, specs: Mapping[str, Any], entity: str) -> None:
        known = [*specs, *LAYOUT_STANDARD_COLUMNS]
        agg, value = self.item.get("agg"), self.item.get("field")
        if isinstance(value, str) and NAME.match(value) and value not in known:
            message = f"unknown field '{value}' of entity '{entity}'"
            self.error("MD112", message, "field", did_you_mean(value, known))
        elif isinstance(agg, str):
            self._check_agg(agg, value, specs)
        self._check_group(specs, entity, known)

    def _check_agg(self, agg: str, value: Any, specs: Mapping[str, Any]) -> None:
        if agg == "count":
            if isinstance(value, str):
                self.error("MD113", "'count' counts records and takes no 'field'", "field")
            return
        if not isinstance(value, str):
            self.error("MD113", f"'{agg}' needs a number 'field'", "agg")
            return
        kind = _type_of(value, specs)
        if kind not in NUMBER_FIELD_TYPES and (kind in FIELD_TYPES or value in STANDARD_COLUMNS):
            shown = kind or "standard column"
            message = (
                f"'{agg}' cannot use '{value}' of type '{shown}'; "
                f"use a field of type {', '.join(NUMBER_FIELD_TYPES)}"
            )
            self.error("MD113", message, "field")

    def _check_group(self, specs: Mapping[str, Any], entity: str, known: list[str]) -> None:
        kind_name, grouping = self.item.get("kind"), self.item.get("group_by")
        is_chart = kind_name in CHART_KINDS
        if not isinstance(grouping, str):
            if is_chart:
                self.error("MD114", f"a {kind_name} chart needs 'group_by'", "kind")
            return
        if kind_name == "kpi":
            self.error("MD114", "a kpi shows one number and takes no 'group_by'", "group_by")
            return
        name, _, bucket = grouping.partition(":")
        if not NAME.match(name):
            return  # the schema check reports the form of 'group_by'
        if name not in known:
            message = f"group_by: unknown field '{name}' of entity '{entity}'"
            self.error("MD112", message, "group_by", did_you_mean(name, known))
            return
        kind = _type_of(name, specs)
        if kind is None or (kind not in FIELD_TYPES and name in specs):
            return  # an unknown type is reported on the field itself
        self._check_grouping(str(kind_name), name, kind, bucket)

    def _check_grouping(self, kind_name: str, name: str, kind: str, bucket: str) -> None:
        problem: str | None = None
        if bucket and kind not in DATE_TYPES:
            problem = f"only date and datetime fields have time buckets, not '{name}' ({kind})"
        elif not bucket and kind in DATE_TYPES:
            problem = f"'{name}' is a {kind}; group it by a time bucket, like '{name}:month'"
        elif kind not in (*GROUPABLE_TYPES, *DATE_TYPES):
            problem = f"'{name}' of type '{kind}' cannot be grouped"
        elif kind_name == "line" and not bucket:
            problem = "a line chart draws a time series; group by a date, like 'close_date:month'"
        elif kind_name == "funnel" and kind not in FUNNEL_TYPES:
            problem = f"a funnel needs a pipeline or enum field, not '{name}' ({kind})"
        if problem is not None:
            self.error("MD115", f"group_by: {problem}", "group_by")


def _check_shape(check: _TileCheck) -> bool:
    """Whether the tile's keys fit its kind; reports the first key that does not (MD420)."""
    kind = check.item.get("kind")
    for key in ("compare", "series_label"):
        if key in check.item and kind != "line":
            message = f"'{key}' belongs to a line chart, not a {kind}; use 'kind: line'"
            check.error("MD420", message, key)
            return False
    is_ratio = kind == "ratio"
    misplaced = _AGGREGATE_KEYS if is_ratio else (*RATIO_PARTS, "percent")
    for key in misplaced:
        if key not in check.item:
            continue
        if is_ratio:
            message = (
                f"a ratio takes '{key}' in its parts, not at its top; "
                f"move it into 'numerator:' and 'denominator:'"
            )
        else:
            message = (
                f"'{key}' belongs to a ratio tile, not a {check.item.get('kind')}; "
                "use 'kind: ratio' with 'numerator:' and 'denominator:'"
            )
        check.error("MD420", message, key)
        return False
    return True


def check_dashboards(
    model: AppModel,
    dashboards: Dashboards,
    entity_docs: Mapping[str, YamlDocument],
    broken: Collection[str],
    report: Report,
) -> None:
    """Check every tile's entity, fields, aggregate and grouping (MD111-MD115, MD420)."""
    for name, doc in dashboards.docs.items():
        tiles = doc.data.get("tiles") if isinstance(doc.data, dict) else None
        for index, item in enumerate(tiles if isinstance(tiles, list) else []):
            if not isinstance(item, dict):
                continue
            check = _TileCheck(item, index, doc.positions, report)
            if not _check_shape(check):
                continue
            if item.get("kind") != "ratio":
                _check_measure(check, name, model, entity_docs, broken)
                if isinstance(item.get("compare"), dict):
                    other = {**item["compare"], "kind": item.get("kind")}
                    sub = _TileCheck(other, index, doc.positions, report, "compare")
                    _check_measure(sub, name, model, entity_docs, broken)
                    _check_same_bucket(sub, item.get("group_by"), other.get("group_by"))
                continue
            for part in RATIO_PARTS:
                if isinstance(item.get(part), dict):
                    sub = _TileCheck(item[part], index, doc.positions, report, part)
                    _check_measure(sub, name, model, entity_docs, broken)


def _check_measure(
    check: _TileCheck,
    dashboard: str,
    model: AppModel,
    entity_docs: Mapping[str, YamlDocument],
    broken: Collection[str],
) -> None:
    entity = check.item.get("entity")
    if not isinstance(entity, str) or not NAME.match(entity) or entity in broken:
        return
    if entity not in entity_docs:
        message = f"unknown entity '{entity}' in dashboard '{dashboard}'"
        check.error("MD111", message, "entity", did_you_mean(entity, model.entities))
        return
    check.run(field_specs(entity_docs[entity].data), entity)
    _check_having(check, entity, model, entity_docs, broken)


def _check_same_bucket(check: _TileCheck, mine: Any, theirs: Any) -> None:
    """A compared series groups by the tile's own time bucket (MD115)."""
    if not isinstance(mine, str) or not isinstance(theirs, str):
        return
    bucket, other = mine.partition(":")[2], theirs.partition(":")[2]
    if bucket and other and bucket != other:
        message = f"group_by: a compared series must use the tile's time bucket '{bucket}'"
        check.error("MD115", message, "group_by", f"{theirs.partition(':')[0]}:{bucket}")


def _check_having(
    check: _TileCheck,
    entity: str,
    model: AppModel,
    entity_docs: Mapping[str, YamlDocument],
    broken: Collection[str],
) -> None:
    """Each ``having`` item names a known entity and its reference to ``entity``."""
    items = check.item.get("having")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        related, name = item.get("entity"), item.get("field")
        if not isinstance(related, str) or not isinstance(name, str) or related in broken:
            continue
        span = check.positions.value((*check.path, "having", index, "entity"))
        where = f"{check.where} having {index + 1}"
        if related not in entity_docs:
            message = f"{where}: unknown entity '{related}'"
            check.report.error("MD111", message, span, did_you_mean(related, model.entities))
            continue
        specs = field_specs(entity_docs[related].data)
        span = check.positions.value((*check.path, "having", index, "field"))
        if name not in specs:
            message = f"{where}: unknown field '{name}' of entity '{related}'"
            check.report.error("MD112", message, span, did_you_mean(name, list(specs)))
            continue
        refs = [n for n, spec in specs.items() if _points_at(spec, entity)]
        if not _points_at(specs[name], entity):
            message = f"{where}: field '{name}' of '{related}' is not a reference to '{entity}'"
            check.report.error("MD421", message, span, refs[0] if refs else None)


def _points_at(spec: Any, entity: str) -> bool:
    """Whether a field spec is a reference to ``entity``."""
    target = spec.get("to") if isinstance(spec, dict) else None
    return spec_type(spec) == FieldType.REFERENCE and target == entity


def check_tile_conditions(
    model: AppModel,
    checker: ExpressionChecker,
    unreliable: Mapping[str, Collection[str]],
    report: Report,
) -> None:
    """Type-check every tile's ``where`` as a boolean over its entity (MD116)."""
    for dashboard in model.dashboards.values():
        for number, tile in enumerate(dashboard.tiles, start=1):
            parts: tuple[tuple[str, MeasureDef | TileDef], ...] = (
                tile.ratio.parts if tile.ratio is not None else (("", tile),)
            )
            if tile.compare is not None:
                parts = (*parts, ("compare", tile.compare))
            conditions = [(p, m.entity, m.where, m.where_source) for p, m in parts]
            for part, measure in parts:
                conditions += [
                    (f"{part} having {i}".strip(), h.entity, h.where, h.where_source)
                    for i, h in enumerate(measure.having, start=1)
                ]
            for part, name, where, span in conditions:
                entity = model.entities.get(name)
                if entity is None or where is None or span is None:
                    continue
                skip = unreliable.get(entity.name, ())
                if skip and mentions(where, skip):
                    continue
                if isinstance(checker, QueryConditionChecker):
                    found = checker.check_query_condition(where, entity, model, span=span)
                else:
                    expected = DslType.BOOLEAN
                    found = checker.check(where, entity, model, expected=expected, span=span)
                shown = f"{number} {part}".strip()
                report.extend(_recode(dashboard.name, shown, d) for d in found)


def _recode(dashboard: str, number: str, d: Diagnostic) -> Diagnostic:
    """A rule diagnostic on a tile's ``where`` as MD116, keeping its own code."""
    return Diagnostic(
        "MD116",
        f"dashboard '{dashboard}' tile {number} where: {d.message} [{d.code}]",
        d.span,
        d.suggestion,
        d.severity,
        d.context,
    )


__all__ = ["check_dashboards", "check_tile_conditions"]
