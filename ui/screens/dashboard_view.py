"""What a dashboard page shows of each computed tile: text, chart geometry, data rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import dates, numbers

from trellis.metadata.model import NUMBER_KINDS, AppModel, FieldType, TileDef
from trellis.metadata.model.local_text import DEFAULT_LOCALE
from trellis.platform.dashboards import Group, TileData
from trellis.platform.i18n import Translator
from trellis.ui.screens.charts import (
    bar_chart,
    compare_chart,
    funnel_chart,
    line_chart,
    line_scale,
    pie_chart,
)
from trellis.ui.screens.money_text import total_currency

NO_VALUE = "—"


def value_format(model: AppModel, tile: TileDef) -> str:
    """How the tile's numbers read: ``count``, ``integer``, ``decimal`` or ``percent``."""
    if tile.ratio is not None:
        return "percent" if tile.ratio.percent else "decimal"
    if tile.agg == "count" or tile.field is None:
        return "count"
    entity = model.entities.get(tile.entity)
    field = entity.fields.get(tile.field) if entity is not None else None
    kind = field.type if field is not None else FieldType.DECIMAL
    if kind == FieldType.PERCENT:
        return "percent"
    if kind == FieldType.INTEGER and tile.agg != "avg":
        return "integer"
    return "decimal"


def format_value(value: Decimal | None, style: str, locale: str = "en") -> str:
    """A number as the tile shows it: thousands separated, cents for amounts, per locale."""
    if value is None:
        return NO_VALUE
    if style in ("count", "integer"):
        return numbers.format_decimal(int(value.to_integral_value(ROUND_HALF_UP)), locale=locale)
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = numbers.format_decimal(rounded, format="#,##0.00", locale=locale)
    return f"{text} %" if style == "percent" else text


def axis_text(value: Decimal, style: str) -> str:
    """A grid line's value: whole numbers without cents, halves with one decimal."""
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"
    return f"{text} %" if style == "percent" else text


@dataclass(frozen=True, slots=True)
class DataRow:
    """One row of a tile's data table (the accessible fallback of its chart)."""

    label: str
    value: str
    #: The compared series' value (line charts with ``compare``), else None.
    second: str | None = None


@dataclass(frozen=True, slots=True)
class TileView:
    """A tile ready for the template."""

    id: str
    kind: str
    label: str
    description: str | None
    unavailable: str | None
    value_text: str
    summary: str
    chart: Any
    rows: tuple[DataRow, ...]
    column_label: str
    #: Why the value is incomplete (amounts without an exchange rate were left out).
    flag: str | None = None
    #: The names of the two series of a compared line chart (legend, table heads).
    series: tuple[str, ...] = ()


def _summary(tile: TileDef, rows: tuple[DataRow, ...]) -> str:
    """A sentence describing a chart, for its ``<desc>``."""
    if not rows:
        return "No records."
    parts = ", ".join(f"{r.label}: {r.value}" for r in rows[:12])
    more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
    return f"{tile.label}, {tile.kind} chart. {parts}{more}."


def _column_label(model: AppModel, tile: TileDef) -> str:
    entity = model.entities.get(tile.entity)
    if entity is None:
        return "Group"
    name = tile.group_by or ""
    field = entity.fields.get(name)
    label = field.label if field is not None else name.replace("_", " ").capitalize()
    return f"{label} ({tile.bucket})" if tile.bucket else label


def _pattern(day: dt.date, pattern: str, t: Translator) -> str:
    return str(dates.format_date(day, format=pattern, locale=t.locale))


def _group_label(key: Any, label: str, tile: TileDef, t: Translator) -> str:
    """A group's label in the reader's language; a time bucket's start as that language
    writes it (``nov 2026``, ``Semana del 23 nov 2026``, ``T4 2026``)."""
    if tile.bucket is None or t.locale == DEFAULT_LOCALE or not isinstance(key, str):
        return t.label(label)
    try:
        day = dt.date.fromisoformat(key)
    except ValueError:
        return label
    if tile.bucket == "month":
        return _pattern(day, "MMM y", t)
    if tile.bucket == "quarter":
        return _pattern(day, "QQQ y", t)
    if tile.bucket == "week":
        return t.gettext("Week of %(day)s", day=_pattern(day, "d MMM y", t))
    return t.date(day) if tile.bucket == "day" else label


def tile_view(
    model: AppModel, data: TileData, index: int, translator: Translator | None = None
) -> TileView:
    """The view of computed tile ``data`` (``index`` makes its element ids unique).

    Labels (tile, stages, options) and numbers are shown in ``translator``'s language.
    """
    t = translator or Translator()
    tile = replace(data.tile, label=t.label(data.tile.label))
    style = value_format(model, tile)
    groups = tuple(replace(g, label=_group_label(g.key, g.label, tile, t)) for g in data.groups)
    data = replace(data, tile=tile, groups=groups)
    entity = model.entities.get(tile.entity)
    fallback = total_currency(model, entity, tile.field) if entity is not None else None
    fallback = None if tile.ratio is not None else fallback
    currency = (data.currency or fallback) if style == "decimal" else None
    number = tile.kind in NUMBER_KINDS

    def shown(value: Decimal | None) -> str:
        if value is not None and currency:
            return t.money(value, currency)
        return format_value(value, style, t.locale)

    texts = [shown(g.value) for g in data.groups]
    rows = tuple(DataRow(g.label, text) for g, text in zip(data.groups, texts, strict=True))
    chart: Any = None
    series: tuple[str, ...] = ()
    other = data.compare
    if other is not None and tile.compare is not None and data.unavailable is None:
        labelled = [replace(g, label=_group_label(g.key, g.label, tile, t)) for g in other.groups]
        first, second = _aligned(data.groups, labelled)
        pair = ([shown(g.value) for g in first], [shown(g.value) for g in second])
        rows = tuple(
            DataRow(g.label, a, b) for g, a, b in zip(first, pair[0], pair[1], strict=True)
        )
        series = (t.label(tile.series_label or tile.label), t.label(tile.compare.label))
        if first:
            scale = [axis_text(v, style) for v in line_scale((*first, *second))]
            chart = compare_chart(first, second, pair, scale)
    elif data.unavailable is None and data.groups:
        if tile.kind == "line":
            scale = [axis_text(v, style) for v in line_scale(data.groups)]
            chart = line_chart(data.groups, texts, scale)
        elif tile.kind == "pie":
            chart = pie_chart(data.groups, texts)
        elif tile.kind == "funnel":
            chart = funnel_chart(data.groups, texts)
        else:
            chart = bar_chart(data.groups, texts)
    value_text = shown(data.value) if number else ""
    flag = None
    if data.missing:
        flag = "Incomplete: amounts without an exchange rate are left out. " + " ".join(
            m.sentence() for m in data.missing[:5]
        )
        value_text += " *" if value_text else ""
    return TileView(
        id=f"tile-{index}",
        kind=tile.kind,
        label=tile.label,
        description=t.label(tile.description) if tile.description else None,
        unavailable=data.unavailable,
        value_text=value_text,
        summary=f"{tile.label}: {value_text}" if number else _summary(tile, rows),
        chart=chart,
        rows=rows,
        column_label=_column_label(model, tile),
        flag=flag,
        series=series,
    )


def _aligned(
    first: tuple[Group, ...], second: list[Group]
) -> tuple[tuple[Group, ...], tuple[Group, ...]]:
    """Both series over every bucket either has, oldest first (a missing bucket is 0)."""
    labels = {g.key: g.label for g in (*second, *first)}
    keys = sorted(labels, key=str)
    mine = {g.key: g.value for g in first}
    theirs = {g.key: g.value for g in second}
    zero = Decimal(0)
    return (
        tuple(Group(k, labels[k], mine.get(k, zero)) for k in keys),
        tuple(Group(k, labels[k], theirs.get(k, zero)) for k in keys),
    )


__all__ = ["DataRow", "TileView", "axis_text", "format_value", "tile_view", "value_format"]
