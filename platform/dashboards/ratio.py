"""Ratio tiles: ``(numerator - minus) / denominator`` of aggregates computed in SQL.

Each part is an aggregate of its own entity and ``where``, computed like a KPI tile
(through the caller's access, amounts converted to the base currency); the ratio of
the parts' numbers is then taken exactly, in decimals. A denominator of zero or no
value gives no value rather than an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from trellis.metadata.model import MeasureDef, RatioDef, TileDef

_HUNDRED = Decimal(100)


def measure_tile(tile: TileDef, measure: MeasureDef) -> TileDef:
    """A KPI tile computing one part of ratio ``tile``."""
    return TileDef(
        kind="kpi",
        label=tile.label,
        entity=measure.entity,
        agg=measure.agg,
        field=measure.field,
        where=measure.where,
        where_source=measure.where_source,
        source=measure.source,
        having=measure.having,
    )


def ratio_value(ratio: RatioDef, values: Sequence[Decimal | None]) -> Decimal | None:
    """The ratio of the parts' ``values`` (in the order of ``ratio.parts``), or None.

    An empty numerator or ``minus`` counts as zero (no records); an empty or zero
    denominator leaves the ratio without a value.
    """
    top, *middle, bottom = values
    if bottom is None or bottom == 0:
        return None
    numerator = (top or Decimal(0)) - (middle[0] or Decimal(0) if middle else Decimal(0))
    value = numerator / bottom
    return value * _HUNDRED if ratio.percent else value


__all__ = ["measure_tile", "ratio_value"]
