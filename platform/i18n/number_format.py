"""Numbers and money per locale, fast: Babel's locale data read once, Python's formatting.

Babel's ``format_decimal``/``format_currency`` re-read patterns on every call (30-80 µs);
a list screen shows hundreds of values. Here the locale's symbols and the currency
pattern's prefix and suffix are taken from Babel once per locale and currency, and the
digits come from Python's ``format``; a property test keeps the result equal to Babel's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import numbers
from babel.core import Locale

#: Babel's default decimal pattern (``#,##0.###``): at most three fraction digits.
DECIMAL_DIGITS = 3


@dataclass(frozen=True, slots=True)
class LocaleNumbers:
    """One locale's separators and currency pattern parts (``¤`` stands for the symbol)."""

    locale: Locale
    group: str
    decimal: str
    minus: str
    currency_prefix: tuple[str, str]
    currency_suffix: tuple[str, str]


@cache
def locale_numbers(locale: str) -> LocaleNumbers:
    """The number symbols and currency pattern of ``locale`` (read once per process)."""
    loc = Locale.parse(locale)
    pattern = numbers.parse_pattern(loc.currency_formats["standard"])
    return LocaleNumbers(
        locale=loc,
        group=numbers.get_group_symbol(loc),
        decimal=numbers.get_decimal_symbol(loc),
        minus=numbers.get_minus_sign_symbol(loc),
        currency_prefix=(pattern.prefix[0], pattern.prefix[1]),
        currency_suffix=(pattern.suffix[0], pattern.suffix[1]),
    )


@cache
def _currency(locale: str, currency: str) -> tuple[str, int]:
    return (
        numbers.get_currency_symbol(currency, locale=locale),
        numbers.get_currency_precision(currency),
    )


def _digits(value: Decimal, places: int, data: LocaleNumbers) -> str:
    text = f"{abs(value):,.{places}f}"
    return text.translate({ord(","): data.group, ord("."): data.decimal})


def format_number(value: Decimal, locale: str) -> str:
    """``value`` with grouping and up to three decimals, like Babel's ``format_decimal``."""
    data = locale_numbers(locale)
    rounded = value.quantize(Decimal(1).scaleb(-DECIMAL_DIGITS), rounding=ROUND_HALF_EVEN)
    places = max(0, -rounded.normalize().as_tuple().exponent)  # type: ignore[operator]
    text = _digits(rounded, min(places, DECIMAL_DIGITS), data)
    return data.minus + text if value.is_signed() else text


def format_fixed(value: Decimal, places: int, locale: str) -> str:
    """``value`` with exactly ``places`` decimals and grouping (an amount without currency)."""
    data = locale_numbers(locale)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = _digits(rounded, places, data)
    return data.minus + text if value.is_signed() else text


def format_money(value: Decimal, currency: str, locale: str) -> str:
    """``value`` in ``currency`` as Babel's ``format_currency`` writes it (``1.234,50 €``)."""
    data = locale_numbers(locale)
    symbol, places = _currency(locale, currency)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    side = 1 if value.is_signed() else 0
    prefix = data.currency_prefix[side].replace("¤", symbol).replace("-", data.minus)
    suffix = data.currency_suffix[side].replace("¤", symbol)
    return prefix + _digits(rounded, places, data) + suffix


__all__ = [
    "LocaleNumbers",
    "format_fixed",
    "format_money",
    "format_number",
    "locale_numbers",
]
