"""The weighted forecast as it was at a past moment (``GET /_forecast?as_of=``).

The records that existed then are rebuilt from their history by the list's
reconstruction (:func:`~trellis.platform.history.list_as_of.records_as_of`), limited
by the caller's record scope as it is today, and summed in Python with the live
forecast's rules: open stages only, a date required, months in the tenant's zone, the
``from``/``to`` bounds, and money converted per currency and rate day (``today``
meaning the day of ``as_of``). The answer has the live forecast's shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from trellis.platform.history.list_as_of import records_as_of
from trellis.platform.money import MissingRate, MoneySource, convert_parts, round_amount
from trellis.platform.money.convert import Part
from trellis.platform.money.rates import RateBook
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import as_utc

_CENT = Decimal("0.01")
_TODAY = "today"


@dataclass(frozen=True, slots=True)
class ForecastPlan:
    """What a forecast sums: its fields, open stages' probabilities, bounds and money."""

    stage: str
    amount: str
    when: str
    is_datetime: bool
    zone: str
    probabilities: Mapping[str, Decimal]
    #: Inclusive lower and exclusive upper bound of the date (UTC datetimes for datetimes).
    start: date | datetime | None
    end: date | datetime | None
    money: MoneySource | None
    today: date


def money_2dp(value: Any) -> Decimal:
    """A sum as a Decimal with 2 places (SQLite sums numerics as floats)."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def plain_months(rows: Iterable[tuple[str, Any, Any, int]]) -> dict[str, Any]:
    """``months`` and ``total`` from (month, amount, weighted, count) rows in month order."""
    months: list[dict[str, Any]] = []
    sum_amount, sum_weighted, count = Decimal(0), Decimal(0), 0
    for month, amount, weighted, records in rows:
        total, part = money_2dp(amount), money_2dp(weighted)
        months.append(
            {"month": month, "amount": str(total), "weighted": str(part), "count": int(records)}
        )
        sum_amount, sum_weighted, count = sum_amount + total, sum_weighted + part, count + records
    total_body = {"amount": str(sum_amount), "weighted": str(sum_weighted), "count": count}
    return {"months": months, "total": total_body}


def converted_months(
    by_key: Mapping[tuple[Any, ...], list[Part]],
    book: RateBook,
    probabilities: Mapping[str, Decimal],
) -> dict[str, Any]:
    """Months of amounts per (month, stage) in several currencies, converted to the base
    currency; amounts without a rate are left out and listed in ``missing_rates``."""
    by_month: dict[str, list[Decimal]] = {}
    counts: dict[str, int] = {}
    missing: dict[MissingRate, None] = {}
    currency = book.base
    for (month, stage), parts in sorted(by_key.items()):
        result = convert_parts(parts, "sum", book)
        missing.update(dict.fromkeys(result.missing))
        currency = result.currency or currency
        total = result.value or Decimal(0)
        entry = by_month.setdefault(month, [Decimal(0), Decimal(0)])
        entry[0] += total
        entry[1] += total * probabilities.get(stage, Decimal(0)) / 100
        counts[month] = counts.get(month, 0) + result.count
    months = [
        {
            "month": month,
            "amount": str(round_amount(amount, currency)),
            "weighted": str(round_amount(weighted, currency)),
            "count": counts[month],
        }
        for month, (amount, weighted) in by_month.items()
    ]
    sum_amount = sum((v[0] for v in by_month.values()), Decimal(0))
    sum_weighted = sum((v[1] for v in by_month.values()), Decimal(0))
    flagged = sorted(missing, key=lambda m: (m.day, m.currency))
    return {
        "currency": currency,
        "months": months,
        "total": {
            "amount": str(round_amount(sum_amount, currency)),
            "weighted": str(round_amount(sum_weighted, currency)),
            "count": sum(counts.values()),
        },
        "missing_rates": [
            {"currency": m.currency, "date": m.day.isoformat(), "message": m.sentence()}
            for m in flagged
        ],
    }


def _month(plan: ForecastPlan, when: Any) -> str | None:
    """``YYYY-MM`` of ``when`` in the plan's zone, or None when outside the bounds."""
    value = as_utc(when) if plan.is_datetime else when
    if (plan.start is not None and value < plan.start) or (
        plan.end is not None and value >= plan.end
    ):
        return None
    if plan.is_datetime:
        value = value.astimezone(ZoneInfo(plan.zone))
    return f"{value.year:04d}-{value.month:02d}"


def _rate_day(plan: ForecastPlan, money: MoneySource, record: Mapping[str, Any]) -> date:
    """The day whose rate converts the record's amount (as the SQL parts query reads it)."""
    if money.rate_date == _TODAY:
        return plan.today
    value = record.get(money.rate_date)
    if value is None:
        return plan.today
    if isinstance(value, datetime):
        return as_utc(value).date()
    return value if isinstance(value, date) else plan.today


def past_forecast(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    at: datetime,
    scope: sa.ColumnElement[Any] | None,
    plan: ForecastPlan,
    book: RateBook | None,
) -> dict[str, Any]:
    """``months`` and ``total`` (and, for money with currencies, ``currency`` and
    ``missing_rates``) over the records as they were at ``at`` inside ``scope``."""
    plain: dict[str, list[Any]] = {}
    parts: dict[tuple[str, str], dict[tuple[str | None, date], list[Any]]] = {}
    for record in records_as_of(conn, app, entity, at, scope=scope):
        stage, when, amount = record.get(plan.stage), record.get(plan.when), record.get(plan.amount)
        if when is None or stage not in plan.probabilities:
            continue
        stage = str(stage)
        month = _month(plan, when)
        if month is None:
            continue
        if plan.money is None:
            entry = plain.setdefault(month, [None, None, 0])
            if amount is not None:
                number = Decimal(str(amount))
                entry[0] = (entry[0] or Decimal(0)) + number
                entry[1] = (entry[1] or Decimal(0)) + number * plan.probabilities[stage] / 100
            entry[2] += 1
            continue
        if amount is None:
            continue
        currency = record.get(plan.money.currency_field)
        key = (
            currency if isinstance(currency, str) and currency else None,
            _rate_day(plan, plan.money, record),
        )
        number = Decimal(str(amount)).quantize(_CENT)
        acc = parts.setdefault((month, str(stage)), {}).setdefault(key, [Decimal(0), 0, None, None])
        acc[0] += number
        acc[1] += 1
        acc[2] = number if acc[2] is None else min(acc[2], number)
        acc[3] = number if acc[3] is None else max(acc[3], number)
    if plan.money is None or book is None:
        return plain_months((m, *plain[m]) for m in sorted(plain))
    by_key = {
        k: [Part(c, d, total, n, low, high) for (c, d), (total, n, low, high) in v.items()]
        for k, v in parts.items()
    }
    return converted_months(by_key, book, plan.probabilities)


__all__ = ["ForecastPlan", "converted_months", "money_2dp", "past_forecast", "plain_months"]
