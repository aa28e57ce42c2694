"""The tenant's dated exchange rates (the ``_rates`` table): store, list, look up.

A row says: on ``day``, one ``from_currency`` is worth ``rate`` of ``to_currency``.
A conversion on a date uses the newest rate on or before that date, read either way
round (EUR→USD 1.08 also converts USD to EUR at 1/1.08); two currencies without a
rate between them convert through the base currency (GBP→USD = GBP→EUR times EUR→USD).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.money.units import is_currency

#: Decimal places a stored rate keeps (NUMERIC(24, 10)).
RATE_SCALE = 10
MAX_RATE = Decimal("1e14")
MIN_RATE = Decimal("1e-10")
#: A rate given as text: positive, below 10^14, a digit within 10 decimal places.
RATE_TEXT = r"^(0*[1-9][0-9]{0,13}(\.[0-9]{0,10})?|0*\.0{0,9}[1-9][0-9]{0,9})$"
_RATE_TEXT = re.compile(RATE_TEXT)
_DAY_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


#: Why a rate from a currency to itself is refused.
SAME_CURRENCY = Translatable("A rate converts between two different currencies.")


class RateError(ValueError):
    """A rate that cannot be stored; ``errors`` maps the bad part to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Rate:
    """One stored rate: on ``day`` one ``source`` is worth ``rate`` of ``target``."""

    source: str
    target: str
    day: date
    rate: Decimal

    def as_json(self) -> dict[str, str]:
        """The API's shape: ``{"from", "to", "date", "rate"}``."""
        return {
            "from": self.source,
            "to": self.target,
            "date": self.day.isoformat(),
            "rate": format(self.rate.normalize(), "f"),
        }


def parse_rate(source: Any, target: Any, rate: Any, day: Any) -> Rate:
    """Check and convert the parts of a rate given as text or numbers.

    Raises:
        RateError: an unknown currency code, the same currency twice, a rate that is
            not a positive number or a date that is not ``YYYY-MM-DD``.
    """
    errors: dict[str, list[str]] = {}
    for key, code in (("from", source), ("to", target)):
        if not is_currency(code):
            errors[key] = [
                Translatable(
                    "'%(code)s' is not an ISO 4217 currency code such as EUR or USD.", code=code
                )
            ]
    if "from" not in errors and source == target:
        errors["to"] = [SAME_CURRENCY]
    value = _positive(rate)
    if value is None:
        errors["rate"] = [
            Translatable(
                "'%(rate)s' is not a number from 0.0000000001 to below %(max)s "
                "(at most 10 decimal places).",
                rate=rate,
                max=f"{MAX_RATE:,.0f}",
            )
        ]
    parsed = _day(day)
    if parsed is None:
        errors["date"] = [Translatable("'%(day)s' is not a date like 2026-01-31.", day=day)]
    if errors or value is None or parsed is None:
        raise RateError(errors)
    return Rate(str(source), str(target), parsed, value)


def _positive(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    if isinstance(value, str) and not _RATE_TEXT.match(value):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number < MIN_RATE or number >= MAX_RATE:
        return None
    rounded = number.quantize(Decimal(1).scaleb(-RATE_SCALE))
    return rounded if rounded > 0 else None


def _day(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value)
    if not _DAY_TEXT.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def set_rates(
    conn: sa.Connection, table: sa.Table, rates: Iterable[Rate], now: datetime, user_id: int | None
) -> int:
    """Store ``rates``, replacing the rate of the same pair and day; returns how many."""
    count = 0
    for rate in rates:
        key = (
            (table.c.from_currency == rate.source)
            & (table.c.to_currency == rate.target)
            & (table.c.day == rate.day)
        )
        values = {"rate": rate.rate, "updated_at": now, "updated_by": user_id}
        if conn.execute(sa.update(table).where(key).values(**values)).rowcount == 0:
            row = {"from_currency": rate.source, "to_currency": rate.target, "day": rate.day}
            conn.execute(sa.insert(table).values(**row, **values))
        count += 1
    return count


def list_rates(
    conn: sa.Connection,
    table: sa.Table,
    currency: str | None = None,
) -> list[Rate]:
    """Every stored rate (those involving ``currency`` when given), by pair then day."""
    query = sa.select(table.c.from_currency, table.c.to_currency, table.c.day, table.c.rate)
    if currency is not None:
        query = query.where((table.c.from_currency == currency) | (table.c.to_currency == currency))
    query = query.order_by(table.c.from_currency, table.c.to_currency, table.c.day)
    return [Rate(r[0], r[1], r[2], _decimal(r[3])) for r in conn.execute(query)]


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class RateBook:
    """Every rate of a tenant in memory, answering "what is X in Y on day D"."""

    def __init__(
        self, rates: Iterable[Rate] | Callable[[], Iterable[Rate]], base: str | None
    ) -> None:
        """``rates``, or a function reading them when a rate is first asked for (so
        amounts all in one currency never read the table)."""
        self.base = base
        self._source = rates
        self._days: dict[tuple[str, str], list[date]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        rates = self._source() if callable(self._source) else self._source
        for rate in sorted(rates, key=lambda r: r.day):
            self._days.setdefault((rate.source, rate.target), []).append(rate.day)
            self._rates.setdefault((rate.source, rate.target), []).append(rate.rate)
        self._loaded = True

    @classmethod
    def load(
        cls,
        conn: sa.Connection,
        table: sa.Table,
        base: str | None,
        among: Collection[str] | None = None,
    ) -> RateBook:
        """Read the tenant's rates (only those between ``among`` and the base, if given)."""
        query = sa.select(table.c.from_currency, table.c.to_currency, table.c.day, table.c.rate)
        if among is not None:
            codes = sorted({*among, *([base] if base else [])})
            query = query.where(table.c.from_currency.in_(codes), table.c.to_currency.in_(codes))

        def read() -> list[Rate]:
            return [Rate(r[0], r[1], r[2], _decimal(r[3])) for r in conn.execute(query)]

        return cls(read, base)

    def _newest(self, source: str, target: str, day: date) -> tuple[date, Decimal] | None:
        days = self._days.get((source, target))
        if not days:
            return None
        i = bisect_right(days, day)
        return (days[i - 1], self._rates[(source, target)][i - 1]) if i else None

    def _pair(self, source: str, target: str, day: date) -> Decimal | None:
        direct = self._newest(source, target, day)
        inverse = self._newest(target, source, day)
        if inverse is not None and (direct is None or inverse[0] > direct[0]):
            return Decimal(1) / inverse[1]
        return direct[1] if direct is not None else None

    def rate(self, source: str, target: str, day: date) -> Decimal | None:
        """How much of ``target`` one ``source`` is worth on ``day``; None when unknown."""
        if source == target:
            return Decimal(1)
        self._load()
        found = self._pair(source, target, day)
        base = self.base
        if found is not None or base is None or base in (source, target):
            return found
        to_base, from_base = self._pair(source, base, day), self._pair(base, target, day)
        return to_base * from_base if to_base is not None and from_base is not None else None


__all__ = [
    "MAX_RATE",
    "MIN_RATE",
    "RATE_TEXT",
    "SAME_CURRENCY",
    "Rate",
    "RateBook",
    "RateError",
    "list_rates",
    "parse_rate",
    "set_rates",
]
