"""Weighted forecast: per month of a date field, the amount and amount times probability.

Months of a datetime field are the tenant's (``timezone:`` in app.yaml), as dashboard
buckets are; ``from`` and ``to`` start and end at the zone's local midnight.

One SQL query groups live records by month; a stage's probability comes from the
pipeline metadata as a ``CASE`` expression. Records in lost stages, without a stage
or without a date are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.dashboards.buckets import bucket_start
from trellis.platform.dashboards.zone_offsets import offset_stretches
from trellis.platform.money import MoneySource, keyed_parts, money_source, parts_query, rate_book
from trellis.platform.pipelines.binding import AMOUNT_TYPES, DATE_TYPES, bind, value_field
from trellis.platform.pipelines.forecast_as_of import (
    ForecastPlan,
    converted_months,
    past_forecast,
    plain_months,
)
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.values import as_utc

#: (entity, fields read) -> the caller's record scope; raises when they may not read them.
Authorize = Callable[[str, tuple[str, ...]], sa.ColumnElement[Any] | None]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month_start(params: Mapping[str, str], key: str) -> date | None:
    text = params.get(key) or None
    if text is None:
        return None
    match = _MONTH.match(text)
    if match is None:
        message = f"'{key}' must be a month like 2026-01, got '{text}'."
        raise BadRequestError(message, {key: [message]})
    return date(int(match.group(1)), int(match.group(2)), 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_of(
    conn: sa.Connection, column: sa.ColumnElement[Any], zone: str, is_datetime: bool
) -> Any:
    """``YYYY-MM`` of ``column`` in the tenant's ``zone`` (dates are never shifted)."""
    dialect = conn.dialect.name
    stretches: list[tuple[datetime, int]] = []
    if is_datetime and dialect == "sqlite" and zone != "UTC":
        first, last = conn.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
        if isinstance(first, datetime) and isinstance(last, datetime):
            stretches = offset_stretches(zone, first, last)
    start = bucket_start(
        column, "month", dialect, is_datetime=is_datetime, zone=zone, stretches=stretches
    )
    return sa.func.substr(start, 1, 7, type_=sa.String())


def _bound(day: date, is_datetime: bool, zone: str) -> date | datetime:
    """The first instant of ``day`` in ``zone`` (as UTC) for datetimes, the day for dates."""
    if not is_datetime:
        return day
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def forecast(
    conn: sa.Connection,
    app: CompiledApp,
    params: Mapping[str, str],
    authorize: Authorize | None = None,
    today: date | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Answer ``GET /_forecast``: ``pipeline``, ``entity``, ``field``, ``amount``, ``date``,
    ``from`` and ``to`` (months) are optional query parameters.

    ``authorize(entity, fields)`` refuses what the caller may not read and returns the
    caller's record scope (None: every record), which limits the sums. A money amount
    with a currency field is converted to the base currency (rates of ``today`` where
    its ``rate_date`` says so); the answer then names the ``currency`` and lists the
    ``missing_rates`` whose amounts were left out. With ``at`` the sums are over the
    records as they were then (:func:`past_forecast`; rates of its day for ``today``).

    Raises:
        BadRequestError: unknown pipeline, entity or field, or a bad month.
    """
    binding = bind(app, params)
    entity = binding.entity
    amount_field = value_field(entity, params, "amount", AMOUNT_TYPES)
    date_field = value_field(entity, params, "date", DATE_TYPES)
    t = app.table(entity.name)
    stage, amount, when = t.c[binding.field.name], t.c[amount_field.name], t.c[date_field.name]
    is_datetime = date_field.type == FieldType.DATETIME
    open_stages = [s for s in binding.pipeline.stages if not s.lost]
    probability = sa.case(
        *(
            (stage == s.name, sa.cast(sa.literal(str(s.probability)), sa.Numeric(9, 4)))
            for s in open_stages
        ),
        else_=sa.cast(sa.literal("0"), sa.Numeric(9, 4)),
    )
    zone = app.model.timezone or "UTC"
    month = _month_of(conn, when, zone, is_datetime).label("month")
    scope = (
        authorize(entity.name, (binding.field.name, amount_field.name, date_field.name))
        if authorize is not None
        else None
    )
    where: list[Any] = [
        t.c.deleted_at.is_(None),
        when.is_not(None),
        stage.in_([s.name for s in open_stages]),
    ]
    if scope is not None:
        where.append(scope)
    start, end = _month_start(params, "from"), _month_start(params, "to")
    if start is not None:
        where.append(when >= _bound(start, is_datetime, zone))
    if end is not None:
        where.append(when < _bound(_next_month(end), is_datetime, zone))
    head = {
        "pipeline": binding.pipeline.name,
        "entity": entity.name,
        "field": binding.field.name,
        "amount": amount_field.name,
        "date": date_field.name,
    }
    money = money_source(entity, amount_field.name)
    if at is not None:
        plan = ForecastPlan(
            stage=binding.field.name,
            amount=amount_field.name,
            when=date_field.name,
            is_datetime=is_datetime,
            zone=zone,
            probabilities={s.name: s.probability for s in open_stages},
            start=_bound(start, is_datetime, zone) if start is not None else None,
            end=_bound(_next_month(end), is_datetime, zone) if end is not None else None,
            money=money,
            today=as_utc(at).date(),
        )
        book = rate_book(conn, app) if money is not None else None
        compiled = app.entities[entity.name]
        return {**head, **past_forecast(conn, app, compiled, at, scope, plan, book)}
    if money is not None:
        probabilities = {s.name: s.probability for s in open_stages}
        keys = (month, stage)
        day = today or datetime.now(UTC).date()
        return {**head, **_converted(conn, app, money, t, where, keys, probabilities, day)}
    query = (
        sa.select(
            month,
            sa.func.sum(amount).label("amount"),
            (sa.func.sum(amount * probability) / 100).label("weighted"),
            sa.func.count().label("records"),
        )
        .where(*where)
        .group_by(month)
        .order_by(month)
    )
    rows = conn.execute(query)
    return {**head, **plain_months((r.month, r.amount, r.weighted, r.records) for r in rows)}


def _converted(
    conn: sa.Connection,
    app: CompiledApp,
    money: MoneySource,
    table: sa.Table,
    where: list[Any],
    keys: tuple[Any, ...],
    probabilities: Mapping[str, Decimal],
    today: date,
) -> dict[str, Any]:
    """Months of amounts in several currencies, converted to the base currency."""
    query = parts_query(money, table, conn.dialect.name, where, keys)
    by_key = keyed_parts(conn.execute(query), today, 2)
    return converted_months(by_key, rate_book(conn, app), probabilities)


__all__ = ["forecast"]
