"""Frozen dashboards (``dashboards/<name>.yaml``): KPI tiles and charts over aggregates.

A tile reads one entity: ``agg`` of ``field`` (``count`` takes none) over the records
matching ``where`` (rule-language text), either as one number (``kpi``) or per value
of ``group_by`` (charts), where a date or datetime is grouped by a time ``bucket``.
"""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: Tile kinds: one number, or a chart over groups.
TILE_KINDS = ("kpi", "bar", "line", "funnel", "pie")
#: Kinds that draw one value per group and so need ``group_by``.
CHART_KINDS = ("bar", "line", "funnel", "pie")
#: Aggregates a tile may compute.
TILE_AGGREGATES = ("count", "sum", "avg", "min", "max")
#: Time buckets for ``group_by: "close_date:month"``.
TIME_BUCKETS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class TileDef:
    """One KPI tile or chart of a dashboard."""

    kind: str
    label: str
    entity: str
    agg: str
    field: str | None = None
    #: The grouping field (without its bucket), or None for a KPI.
    group_by: str | None = None
    #: ``day``, ``week``, ``month``, ``quarter`` or ``year`` for a date grouping.
    bucket: str | None = None
    where: str | None = None
    where_source: SourceSpan | None = None
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE

    @property
    def is_chart(self) -> bool:
        """Whether the tile draws one value per group."""
        return self.kind in CHART_KINDS


@dataclass(frozen=True, slots=True)
class DashboardDef:
    """A named page of tiles, in the order they are declared."""

    name: str
    label: str
    tiles: tuple[TileDef, ...]
    description: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = [
    "CHART_KINDS",
    "TILE_AGGREGATES",
    "TILE_KINDS",
    "TIME_BUCKETS",
    "DashboardDef",
    "TileDef",
]
