"""Order and label a tile's groups the way a reader expects them.

Pipeline stages and enum options keep their declared order and show with a value of
zero when no record has them; time buckets run from the oldest to the newest with the
empty buckets in between filled (for counts and sums); other groups are ranked by
value, the smallest folded into "Other". Empty keys come last as "(empty)". A funnel
of counts or sums is cumulative: each step holds the records at that step or a later
one, lost pipeline stages left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from trellis.metadata.model import AppModel, FieldDef, FieldType, TileDef
from trellis.platform.dashboards.buckets import bucket_label

#: Most groups a ranked chart shows; the rest become one "Other" group.
MAX_GROUPS = 12
#: Most time buckets a chart shows (the newest are kept).
MAX_BUCKETS = 60
EMPTY_LABEL = "(empty)"
OTHER_LABEL = "Other"
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Group:
    """One bar, slice, point or funnel step: its key, label and value."""

    key: Any
    label: str
    value: Decimal


def _option_label(option: str) -> str:
    return option.replace("_", " ").capitalize()


def _options(model: AppModel, field: FieldDef, *, funnel: bool) -> list[tuple[str, str]]:
    """(value, label) of a pipeline's stages or an enum's options, in order.

    A funnel leaves out lost stages: they are not a step of the way.
    """
    pipeline = model.pipelines.get(field.pipeline or "")
    if field.type == FieldType.PIPELINE and pipeline is not None:
        stages = pipeline.stages
        return [(s.name, s.label) for s in stages if not (funnel and s.lost)]
    # A declared option label (maybe per locale) is kept; the screens pick the locale.
    return [(o, field.option_labels.get(o) or _option_label(o)) for o in field.options]


def _reached(groups: list[Group]) -> list[Group]:
    """Funnel steps: each counts the records at that step or a later one."""
    out: list[Group] = []
    running = _ZERO
    for group in reversed(groups):
        running += group.value
        out.append(Group(group.key, group.label, running))
    return out[::-1]


def _next_start(day: date, bucket: str) -> date:
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _bucket_keys(keys: list[str], bucket: str) -> Iterator[str]:
    """Every bucket start from the first key to the last, gaps included."""
    days = sorted(date.fromisoformat(k) for k in keys)
    current, last = days[0], days[-1]
    while current <= last:
        yield current.isoformat()
        current = _next_start(current, bucket)


def _timeline(tile: TileDef, rows: Mapping[Any, Decimal | None]) -> list[Group]:
    bucket = str(tile.bucket)
    keys = sorted(k for k in rows if isinstance(k, str))
    additive = tile.agg in ("count", "sum")
    try:
        ordered = list(_bucket_keys(keys, bucket)) if keys and additive else keys
    except ValueError:
        ordered = keys
    groups = [
        Group(k, bucket_label(k, bucket), v)
        for k in ordered
        if (v := rows.get(k, _ZERO if additive else None)) is not None
    ]
    return groups[-MAX_BUCKETS:]


def _ranked(
    tile: TileDef, rows: Mapping[Any, Decimal | None], labels: Mapping[Any, str]
) -> list[Group]:
    items = [(k, v) for k, v in rows.items() if k is not None and v is not None]
    items.sort(key=lambda kv: (-kv[1], str(kv[0])))
    groups = [Group(k, labels.get(k, str(k)), v) for k, v in items[:MAX_GROUPS]]
    rest = items[MAX_GROUPS:]
    if rest and tile.agg in ("count", "sum"):
        groups.append(Group("__other__", OTHER_LABEL, sum((v for _, v in rest), _ZERO)))
    return groups


def order_groups(
    model: AppModel,
    tile: TileDef,
    field: FieldDef | None,
    rows: Mapping[Any, Decimal | None],
    labels: Mapping[Any, str],
) -> tuple[Group, ...]:
    """The groups of ``tile`` from ``rows`` (group key -> aggregate), ordered and labelled.

    ``labels`` names keys that are record or user ids.
    """
    if tile.bucket is not None:
        groups = _timeline(tile, rows)
    elif field is not None and field.type in (FieldType.PIPELINE, FieldType.ENUM):
        additive = tile.agg in ("count", "sum")
        funnel = tile.kind == "funnel"
        groups = [
            Group(value, label, found)
            for value, label in _options(model, field, funnel=funnel)
            if (found := rows.get(value, _ZERO if additive else None)) is not None
        ]
        if funnel and additive:
            return tuple(_reached(groups))
    elif field is not None and field.type == FieldType.BOOLEAN:
        groups = [
            Group(key, label, rows[key])  # type: ignore[arg-type]
            for key, label in ((True, "Yes"), (False, "No"))
            if rows.get(key) is not None
        ]
    else:
        groups = _ranked(tile, rows, labels)
    empty = rows.get(None)
    if tile.bucket is None and empty is not None and empty != _ZERO:
        groups.append(Group(None, EMPTY_LABEL, empty))
    return tuple(groups)


__all__ = ["EMPTY_LABEL", "MAX_BUCKETS", "MAX_GROUPS", "OTHER_LABEL", "Group", "order_groups"]
