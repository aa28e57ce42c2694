"""Aggregates over amounts in several currencies, converted to one target currency.

Amounts are grouped in SQL by currency and rate date into :class:`Part` rows; each
part is converted exactly (Decimal) with the rate of its date, and only the final
value is rounded to the target currency's minor unit. An amount whose record names no
currency is taken to be in the target currency. A part without a rate is never added
raw: it is reported as a :class:`MissingRate` (an error at save, a flag on dashboards).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from trellis.metadata.model.local_text import Translatable
from trellis.platform.money.rates import RateBook
from trellis.platform.money.units import round_amount


@dataclass(frozen=True, slots=True)
class MissingRate:
    """No rate converts ``currency`` to ``target`` on ``day`` (``target`` None: no base)."""

    currency: str
    day: date
    target: str | None

    def sentence(self) -> str:
        """What is missing, for people (translatable)."""
        if self.target is None:
            return Translatable(
                "No base currency is declared (app.yaml 'currency') to convert "
                "%(currency)s amounts on %(day)s.",
                currency=self.currency,
                day=self.day.isoformat(),
            )
        return Translatable(
            "No exchange rate from %(currency)s to %(target)s on or before %(day)s.",
            currency=self.currency,
            target=self.target,
            day=self.day.isoformat(),
        )


@dataclass(frozen=True, slots=True)
class Part:
    """Amounts of one currency and rate date: their sum, count, smallest and largest."""

    currency: str | None
    day: date
    total: Decimal
    count: int
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Converted:
    """An aggregate in ``currency`` over the parts that could be converted."""

    value: Decimal | None
    currency: str | None
    missing: tuple[MissingRate, ...] = ()
    #: How many amounts the value covers (those without a rate are not counted).
    count: int = 0


def _target_of(parts: list[Part], base: str | None) -> tuple[str | None, bool]:
    """The currency of the result, and whether the parts mix currencies without a base."""
    if base is not None:
        return base, False
    codes = {p.currency for p in parts if p.currency is not None}
    return (next(iter(codes)) if len(codes) == 1 else None), len(codes) > 1


def convert_parts(parts: Iterable[Part], agg: str, book: RateBook) -> Converted:
    """``agg`` (sum, avg, min or max) of ``parts`` in the base currency of ``book``.

    Without a base currency, parts in one currency aggregate in it; a mix of
    currencies cannot be converted and every part is reported missing.
    """
    parts = list(parts)
    target, mixed = _target_of(parts, book.base)
    missing: dict[tuple[str, date], MissingRate] = {}
    total, count = Decimal(0), 0
    lows: list[Decimal] = []
    highs: list[Decimal] = []
    for part in parts:
        factor = _factor(part, target, book) if not mixed else None
        if factor is None:
            code = part.currency or ""
            missing.setdefault((code, part.day), MissingRate(code, part.day, target))
            continue
        total += part.total * factor
        count += part.count
        if part.low is not None:
            lows.append(part.low * factor)
        if part.high is not None:
            highs.append(part.high * factor)
    value: Decimal | None
    if agg == "sum":
        value = total
    elif agg == "avg":
        value = total / count if count else None
    elif agg == "min":
        value = min(lows, default=None)
    else:
        value = max(highs, default=None)
    rounded = round_amount(value, target) if value is not None else None
    ordered = tuple(sorted(missing.values(), key=lambda m: (m.day, m.currency)))
    return Converted(rounded, target, ordered, count)


def _factor(part: Part, target: str | None, book: RateBook) -> Decimal | None:
    if part.currency is None or target is None or part.currency == target:
        return Decimal(1)
    return book.rate(part.currency, target, part.day)


def convert_amount(
    amount: Decimal, source: str, target: str, day: date, book: RateBook
) -> Decimal | None:
    """``amount`` of ``source`` in ``target`` on ``day``, rounded to its minor unit."""
    rate = book.rate(source, target, day)
    return None if rate is None else round_amount(amount * rate, target)


__all__ = ["Converted", "MissingRate", "Part", "convert_amount", "convert_parts"]
