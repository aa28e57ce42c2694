"""Compute a dashboard tile in SQL, through the caller's access.

A tile is ``agg(field)`` over the live records of one entity that the caller's record
scope reaches and the tile's ``where`` selects, as one number (KPI) or per group. The
``where`` is compiled as the caller sees the model, so a tile that reads a hidden
field, or counts an entity the caller may not read, is reported unavailable instead of
revealing anything. A ``ratio`` tile divides aggregates computed this way (``ratio``).
Each ``having`` item keeps the records with a related record matching its ``where``
(an ``EXISTS`` through the caller's access to the related entity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldDef, FieldType, RatioDef, RelatedDef, TileDef
from trellis.platform.authz import Access
from trellis.platform.authz.read_paths import scoped_filter
from trellis.platform.dashboards.buckets import bucket_start
from trellis.platform.dashboards.groups import Group, order_groups
from trellis.platform.dashboards.ratio import measure_tile, ratio_value
from trellis.platform.dashboards.zone_offsets import offset_stretches
from trellis.platform.history.past_table import past_table, swap_table
from trellis.platform.money import (
    MissingRate,
    MoneySource,
    convert_parts,
    keyed_parts,
    money_source,
    parts_query,
    rate_book,
)
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.rules.expr import EvalContext

#: Standard columns holding user ids, grouped by user.
USER_COLUMNS = frozenset({"owner_id", "created_by", "updated_by"})


@dataclass(frozen=True, slots=True)
class TileData:
    """A computed tile: its number (KPI) or its groups (charts), or why it is unavailable."""

    tile: TileDef
    value: Decimal | None = None
    groups: tuple[Group, ...] = ()
    unavailable: str | None = None
    #: The currency of a money tile's values (the base currency), when they convert.
    currency: str | None = None
    #: Amounts left out for want of an exchange rate: the value is flagged incomplete.
    missing: tuple[MissingRate, ...] = ()
    #: A line chart's second series (``compare``), computed like the tile.
    compare: TileData | None = None

    @property
    def total(self) -> Decimal:
        """The sum of the group values."""
        return sum((g.value for g in self.groups), Decimal(0))


def _measure(tile: TileDef, table: sa.Table) -> sa.ColumnElement[Any]:
    if tile.agg == "count" or tile.field is None:
        return sa.func.count()
    column = table.c[tile.field]
    if tile.agg == "sum":
        return sa.func.coalesce(sa.func.sum(column), 0)
    if tile.agg == "avg":
        return sa.func.avg(column)
    return sa.func.min(column) if tile.agg == "min" else sa.func.max(column)


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _refusal(access: Access, entity: CompiledEntity, tile: TileDef) -> str | None:
    """Why the caller may not see ``tile``, or None."""
    spec = entity.entity
    if not access.can(spec.name, "read"):
        return f"Your role cannot see {spec.plural_label.lower()}."
    visible = access.entity(spec.name).columns
    for name in (tile.field, tile.group_by):
        if name is not None and name not in visible:
            f = spec.fields.get(name)
            return f"Your role cannot see {f.label if f else name}."
    return None


def compute_tile(
    conn: sa.Connection,
    access: Access,
    tile: TileDef,
    ectx: EvalContext,
    *,
    user_names: Mapping[int, str] | None = None,
    at: datetime | None = None,
) -> TileData:
    """Compute ``tile`` for the caller whose ``access`` is given (and its ``compare``
    series; the tile is unavailable when either is).

    With ``at`` the tile is computed over the records as they were then
    (:func:`~trellis.platform.history.past_table.past_table`): those that existed and
    were not in the recycle bin, inside the caller's record scope as it is today, with
    their past values; related records (``having``, reference filters) are read as
    they are now. Never raises for what the caller may not see: the result is then
    unavailable, with a sentence saying why.
    """
    data = _compute(conn, access, tile, ectx, user_names, at)
    if tile.compare is None or data.unavailable is not None:
        return data
    other = _compute(conn, access, tile.compare, ectx, user_names, at)
    if other.unavailable is not None:
        return TileData(tile, unavailable=other.unavailable)
    return replace(data, compare=other, missing=(*data.missing, *other.missing))


def _compute(
    conn: sa.Connection,
    access: Access,
    tile: TileDef,
    ectx: EvalContext,
    user_names: Mapping[int, str] | None,
    at: datetime | None = None,
) -> TileData:
    """One aggregate tile (or ratio) without its ``compare`` series."""
    if tile.ratio is not None:
        return _ratio_tile(conn, access, tile, tile.ratio, ectx, at)
    entity = access.app.entities.get(tile.entity)
    if entity is None:
        return TileData(tile, unavailable=f"There is no entity '{tile.entity}'.")
    refusal = _refusal(access, entity, tile)
    if refusal is not None:
        return TileData(tile, unavailable=refusal)
    t = entity.table
    where: list[Any] = []
    scope = access.scope(entity, ectx)
    try:
        condition = scoped_filter(access, access.app, entity, tile.where, ectx)
    except BadRequestError:
        return TileData(tile, unavailable="Your role cannot see a field this tile filters on.")
    if condition is not None:
        where.append(condition)
    for related in tile.having:
        found = _having(access, entity, related, ectx)
        if isinstance(found, str):
            return TileData(tile, unavailable=found)
        where.append(found)
    if at is not None:
        with past_table(conn, access.app, entity, at, scope=scope) as past:
            moved = [swap_table(condition, t, past) for condition in where]
            return _aggregate(conn, access, ectx, tile, entity, past, moved, user_names or {})
    live = [t.c.deleted_at.is_(None), *(() if scope is None else (scope,)), *where]
    return _aggregate(conn, access, ectx, tile, entity, t, live, user_names or {})


def _aggregate(
    conn: sa.Connection,
    access: Access,
    ectx: EvalContext,
    tile: TileDef,
    entity: CompiledEntity,
    t: sa.Table,
    where: list[Any],
    user_names: Mapping[int, str],
) -> TileData:
    """The tile's number or groups over the rows of ``t`` (the entity's table, or its
    past) that ``where`` selects."""
    money = money_source(entity.entity, tile.field) if tile.agg != "count" else None
    if money is not None:
        return _money_tile(conn, access, ectx, tile, t, money, where, user_names)
    measure = _measure(tile, t)
    if tile.group_by is None:
        value = conn.execute(sa.select(measure).select_from(t).where(*where)).scalar()
        return TileData(tile, value=_number(value))
    field = entity.entity.fields.get(tile.group_by)
    key = _group_key(conn, access, t, tile, field)
    query = sa.select(key.label("key"), measure.label("value")).where(*where).group_by(key)
    rows = {row.key: _number(row.value) for row in conn.execute(query)}
    labels = _labels(conn, access, ectx, tile, field, rows, user_names)
    groups = order_groups(access.app.model, tile, field, rows, labels)
    return TileData(tile, groups=groups)


def _having(
    access: Access, entity: CompiledEntity, related: RelatedDef, ectx: EvalContext
) -> sa.ColumnElement[bool] | str:
    """``EXISTS`` a live related record the caller reaches that points at the row and
    matches the item's ``where``; or why the caller may not use it."""
    other = access.app.entities.get(related.entity)
    if other is None or not access.can(related.entity, "read"):
        return "Your role cannot see the records this tile counts by."
    if related.field not in access.entity(related.entity).columns:
        return "Your role cannot see a field this tile filters on."
    r = other.table
    conditions: list[Any] = [r.c[related.field] == entity.table.c.id, r.c.deleted_at.is_(None)]
    scope = access.scope(other, ectx)
    if scope is not None:
        conditions.append(scope)
    try:
        condition = scoped_filter(access, access.app, other, related.where, ectx)
    except BadRequestError:
        return "Your role cannot see a field this tile filters on."
    if condition is not None:
        conditions.append(condition)
    return sa.exists(sa.select(r.c.id).where(*conditions))


def _ratio_tile(
    conn: sa.Connection,
    access: Access,
    tile: TileDef,
    ratio: RatioDef,
    ectx: EvalContext,
    at: datetime | None,
) -> TileData:
    """A ratio of its parts, each computed as a KPI; unavailable when any part is."""
    parts = [compute_tile(conn, access, measure_tile(tile, m), ectx, at=at) for _, m in ratio.parts]
    for part in parts:
        if part.unavailable is not None:
            return TileData(tile, unavailable=part.unavailable)
    missing = {m: None for part in parts for m in part.missing}
    flagged = tuple(sorted(missing, key=lambda m: (m.day, m.currency)))
    value = ratio_value(ratio, [part.value for part in parts])
    return TileData(tile, value=value, missing=flagged)


def _money_tile(
    conn: sa.Connection,
    access: Access,
    ectx: EvalContext,
    tile: TileDef,
    t: sa.Table,
    money: MoneySource,
    where: list[Any],
    user_names: Mapping[int, str],
) -> TileData:
    """A tile over amounts in several currencies, converted to the base currency.

    Amounts without a rate are left out and listed in ``missing`` (the tile is flagged).
    """
    entity = access.app.entities[str(tile.entity)]
    field = entity.entity.fields.get(tile.group_by) if tile.group_by else None
    keys = [_group_key(conn, access, t, tile, field)] if tile.group_by is not None else []
    query = parts_query(money, t, conn.dialect.name, where, keys)
    by_key = keyed_parts(conn.execute(query), ectx.today, len(keys))
    book = rate_book(conn, access.app)
    missing: dict[MissingRate, None] = {}
    rows: dict[Any, Decimal | None] = {}
    currency = book.base
    for key, parts in by_key.items():
        result = convert_parts(parts, tile.agg, book)
        missing.update(dict.fromkeys(result.missing))
        currency = result.currency
        rows[key[0] if key else None] = result.value
    flagged = tuple(sorted(missing, key=lambda m: (m.day, m.currency)))
    if tile.group_by is None:
        value = rows.get(None, Decimal(0) if tile.agg == "sum" else None)
        return TileData(tile, value=value, currency=currency, missing=flagged)
    present = {k: v if v is not None else Decimal(0) for k, v in rows.items()}
    labels = _labels(conn, access, ectx, tile, field, present, user_names)
    groups = order_groups(access.app.model, tile, field, present, labels)
    return TileData(tile, groups=groups, currency=currency, missing=flagged)


def _group_key(
    conn: sa.Connection, access: Access, table: sa.Table, tile: TileDef, field: FieldDef | None
) -> sa.ColumnElement[Any]:
    """The tile's group key: the column, or its time bucket in the tenant's zone."""
    column = table.c[str(tile.group_by)]
    if tile.bucket is None:
        return column
    is_datetime = field is None or field.type == FieldType.DATETIME
    dialect, zone = conn.dialect.name, zone_of(access)
    stretches: list[tuple[datetime, int]] = []
    if is_datetime and dialect == "sqlite" and zone != "UTC":
        first, last = conn.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
        if isinstance(first, datetime) and isinstance(last, datetime):
            stretches = offset_stretches(zone, first, last)
    return bucket_start(
        column, tile.bucket, dialect, is_datetime=is_datetime, zone=zone, stretches=stretches
    )


def zone_of(access: Access) -> str:
    """The tenant's time zone, in which dashboards bucket datetimes."""
    return access.app.model.timezone or "UTC"


def _labels(
    conn: sa.Connection,
    access: Access,
    ectx: EvalContext,
    tile: TileDef,
    field: FieldDef | None,
    rows: Mapping[Any, Any],
    user_names: Mapping[int, str],
) -> dict[Any, str]:
    """Labels of group keys that are record or user ids; others are labelled later."""
    ids = [k for k in rows if isinstance(k, int) and not isinstance(k, bool)]
    if tile.group_by in USER_COLUMNS or (field is not None and field.type == FieldType.USER):
        return {i: user_names.get(i, f"User {i}") for i in ids}
    if field is None or field.type != FieldType.REFERENCE or field.to is None or not ids:
        return {}
    titles = {i: f"#{i}" for i in ids}
    target = access.app.entities.get(field.to)
    title = target.entity.title if target is not None else None
    if target is None or title is None or not access.can(target.name, "read"):
        return titles
    if title not in access.entity(target.name).columns:
        return titles
    t = target.table
    query = sa.select(t.c.id, t.c[title]).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
    scope = access.scope(target, ectx)
    if scope is not None:
        query = query.where(scope)
    for row in conn.execute(query):
        if row[1] not in (None, ""):
            titles[int(row[0])] = str(row[1])
    return titles


__all__ = ["TileData", "compute_tile"]
