"""Frozen dashboards (``dashboards/<name>.yaml``): KPI tiles and charts over aggregates.

A tile reads one entity: ``agg`` of ``field`` (``count`` takes none) over the records
matching ``where`` (rule-language text), either as one number (``kpi``) or per value
of ``group_by`` (charts), where a date or datetime is grouped by a time ``bucket``.
A ``ratio`` tile is one number made of aggregates (``MeasureDef``), each over its own
entity and ``where``: ``(numerator - minus) / denominator``, times 100 as a percentage.
A tile or part may also keep only the records that ``having`` related records: each
``RelatedDef`` asks for at least one live record of its entity pointing at the record
through its reference ``field`` and matching its ``where`` (a retention rate: accounts
with an order in the prior year *and* one in the last year, over the first). A line
chart may ``compare`` its series with a second one over the same time buckets (forecast
against quota).
"""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: Tile kinds: one number, or a chart over groups.
TILE_KINDS = ("kpi", "ratio", "bar", "line", "funnel", "pie")
#: Kinds that show one number.
NUMBER_KINDS = ("kpi", "ratio")
#: The parts of a ratio tile, in the order they are read.
RATIO_PARTS = ("numerator", "minus", "denominator")
#: Kinds that draw one value per group and so need ``group_by``.
CHART_KINDS = ("bar", "line", "funnel", "pie")
#: Aggregates a tile may compute.
TILE_AGGREGATES = ("count", "sum", "avg", "min", "max")
#: Time buckets for ``group_by: "close_date:month"``.
TIME_BUCKETS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class RelatedDef:
    """Records of ``entity`` whose reference ``field`` points at the tile's record and
    that match ``where``: a tile keeps the records having at least one."""

    entity: str
    field: str
    where: str | None = None
    where_source: SourceSpan | None = None
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class MeasureDef:
    """One aggregate of a ratio tile: ``agg`` of ``field`` over ``entity`` where ``where``."""

    entity: str
    agg: str
    field: str | None = None
    where: str | None = None
    where_source: SourceSpan | None = None
    source: SourceSpan = UNKNOWN_SOURCE
    #: Related records each counted record must have (all of them).
    having: tuple[RelatedDef, ...] = ()


@dataclass(frozen=True, slots=True)
class RatioDef:
    """``(numerator - minus) / denominator``; a percentage when ``percent``."""

    numerator: MeasureDef
    denominator: MeasureDef
    minus: MeasureDef | None = None
    percent: bool = False

    @property
    def parts(self) -> tuple[tuple[str, MeasureDef], ...]:
        """(name, measure) of each part present, numerator first."""
        named = (("numerator", self.numerator), ("minus", self.minus))
        found = [(n, m) for n, m in named if m is not None]
        return (*found, ("denominator", self.denominator))


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
    #: The aggregates of a ``ratio`` tile (its ``entity`` and ``agg`` are the numerator's).
    ratio: RatioDef | None = None
    #: Related records each aggregated record must have (all of them).
    having: tuple[RelatedDef, ...] = ()
    #: A second series of a line chart, over the same time buckets (its ``label`` names
    #: the series; the tile's own series is named ``series_label``).
    compare: TileDef | None = None
    series_label: str | None = None

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
    "NUMBER_KINDS",
    "RATIO_PARTS",
    "TILE_AGGREGATES",
    "TILE_KINDS",
    "TIME_BUCKETS",
    "DashboardDef",
    "MeasureDef",
    "RatioDef",
    "RelatedDef",
    "TileDef",
]
