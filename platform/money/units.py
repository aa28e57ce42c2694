"""Currency codes and minor units (ISO 4217, through Babel's CLDR data)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import get_currency_precision, get_currency_symbol, list_currencies


@cache
def known_currencies() -> frozenset[str]:
    """Every ISO 4217 code Babel knows."""
    return frozenset(list_currencies())


def is_currency(code: object) -> bool:
    """Whether ``code`` is a known ISO 4217 code (upper case, three letters)."""
    return isinstance(code, str) and code in known_currencies()


@cache
def minor_units(code: str) -> int:
    """Decimal places of ``code``'s minor unit: EUR 2, JPY 0, BHD 3."""
    return int(get_currency_precision(code))


def round_amount(amount: Decimal, code: str | None) -> Decimal:
    """``amount`` rounded half up to the minor unit of ``code`` (2 places without one)."""
    places = minor_units(code) if code else 2
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def currency_symbol(code: str) -> str:
    """The symbol of ``code`` as English screens show it (``€``, ``$``, ``JP¥``)."""
    return str(get_currency_symbol(code, locale="en"))


__all__ = ["currency_symbol", "is_currency", "known_currencies", "minor_units", "round_amount"]
