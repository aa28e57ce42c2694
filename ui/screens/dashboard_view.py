"""What a dashboard page shows of each computed tile: text, chart geometry, data rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from trellis.metadata.model import AppModel, FieldType, TileDef
from trellis.platform.dashboards import TileData
from trellis.platform.money import currency_symbol
from trellis.ui.screens.charts import bar_chart, funnel_chart, line_chart, line_scale, pie_chart

NO_VALUE = "—"


def value_format(model: AppModel, tile: TileDef) -> str:
    """How the tile's numbers read: ``count``, ``integer``, ``decimal`` or ``percent``."""
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


def format_value(value: Decimal | None, style: str) -> str:
    """A number as the tile shows it: thousands separated, cents for amounts."""
    if value is None:
        return NO_VALUE
    if style in ("count", "integer"):
        return f"{int(value.to_integral_value(ROUND_HALF_UP)):,}"
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if style == "percent":
        return f"{rounded:,.2f} %"
    return f"{rounded:,.2f}"


def axis_text(value: Decimal, style: str) -> str:
    """A grid line's value: whole numbers without cents, halves with one decimal."""
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"
    return f"{text} %" if style == "percent" else text


@dataclass(frozen=True, slots=True)
class DataRow:
    """One row of a tile's data table (the accessible fallback of its chart)."""

    label: str
    value: str


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


def tile_view(model: AppModel, data: TileData, index: int) -> TileView:
    """The view of computed tile ``data`` (``index`` makes its element ids unique)."""
    tile = data.tile
    style = value_format(model, tile)
    symbol = currency_symbol(data.currency) if data.currency else ""
    texts = [symbol + format_value(g.value, style) for g in data.groups]
    rows = tuple(DataRow(g.label, t) for g, t in zip(data.groups, texts, strict=True))
    chart: Any = None
    if data.unavailable is None and data.groups:
        if tile.kind == "line":
            scale = [axis_text(v, style) for v in line_scale(data.groups)]
            chart = line_chart(data.groups, texts, scale)
        elif tile.kind == "pie":
            chart = pie_chart(data.groups, texts)
        elif tile.kind == "funnel":
            chart = funnel_chart(data.groups, texts)
        else:
            chart = bar_chart(data.groups, texts)
    value_text = symbol + format_value(data.value, style) if tile.kind == "kpi" else ""
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
        description=tile.description,
        unavailable=data.unavailable,
        value_text=value_text,
        summary=_summary(tile, rows) if tile.kind != "kpi" else f"{tile.label}: {value_text}",
        chart=chart,
        rows=rows,
        column_label=_column_label(model, tile),
        flag=flag,
    )


__all__ = ["DataRow", "TileView", "axis_text", "format_value", "tile_view", "value_format"]
