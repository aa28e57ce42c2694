"""Checks of currencies: the base ``currency`` of app.yaml and money fields' ``rate_date``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from babel.numbers import list_currencies

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import PositionMap
from trellis.metadata.model import FieldType

#: ``rate_date: today`` converts at the day of the computation.
TODAY = "today"
#: Standard columns a ``rate_date`` may name.
DATED_COLUMNS = ("created_at", "updated_at")
_DATED_TYPES = (FieldType.DATE, FieldType.DATETIME)


@cache
def known_currencies() -> frozenset[str]:
    """ISO 4217 codes known to Babel's CLDR data."""
    return frozenset(list_currencies())


def check_base_currency(data: Any, positions: PositionMap, report: Report) -> None:
    """Report an app.yaml ``currency`` that is not an ISO 4217 code (MD210)."""
    code = data.get("currency") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code or code in known_currencies():
        return  # a missing or non-text value is the schema's to report
    report.error(
        "MD210",
        f"currency '{code}' is not a known ISO 4217 currency code",
        positions.value(("currency",)),
        did_you_mean(code, sorted(known_currencies())),
    )


def check_money_fields(specs: Mapping[str, Any], positions: PositionMap, report: Report) -> None:
    """Check ``rate_date`` (MD211-MD213) and the codes of currency enums (MD214)."""
    for name, spec in specs.items():
        if not isinstance(spec, dict) or spec.get("type") != FieldType.MONEY:
            continue
        currency = spec.get("currency_field")
        target = specs.get(currency) if isinstance(currency, str) else None
        if isinstance(target, dict) and target.get("type") == FieldType.ENUM:
            _check_codes(str(currency), target, positions, report)
        rate_date = spec.get("rate_date")
        if isinstance(rate_date, str):
            _check_rate_date(name, rate_date, specs, currency, positions, report)


def _check_rate_date(
    name: str,
    rate_date: str,
    specs: Mapping[str, Any],
    currency: Any,
    positions: PositionMap,
    report: Report,
) -> None:
    span = positions.value(("fields", name, "rate_date"))
    if currency is None:
        message = (
            f"field '{name}': rate_date needs a currency_field "
            "(an amount in the base currency is never converted)"
        )
        report.error("MD213", message, span)
        return
    if rate_date == TODAY or rate_date in DATED_COLUMNS:
        return
    target = specs.get(rate_date)
    if target is None:
        known = [TODAY, *DATED_COLUMNS, *specs]
        message = f"field '{name}': rate_date: unknown field '{rate_date}'"
        report.error("MD211", message, span, did_you_mean(rate_date, known))
        return
    kind = target.get("type") if isinstance(target, dict) else None
    if kind not in _DATED_TYPES:
        message = (
            f"field '{name}': rate_date '{rate_date}' must be a date or datetime field, "
            f"not '{kind}'"
        )
        report.error("MD212", message, span)


def _check_codes(
    name: str, spec: Mapping[str, Any], positions: PositionMap, report: Report
) -> None:
    options = spec.get("options")
    for i, option in enumerate(options if isinstance(options, list) else []):
        if isinstance(option, str) and option not in known_currencies():
            report.error(
                "MD214",
                f"field '{name}': option '{option}' is not a known ISO 4217 currency code",
                positions.value(("fields", name, "options", i)),
                did_you_mean(option.upper(), sorted(known_currencies())),
            )


__all__ = [
    "DATED_COLUMNS",
    "TODAY",
    "check_base_currency",
    "check_money_fields",
    "known_currencies",
]
