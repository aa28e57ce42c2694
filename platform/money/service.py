"""The rates service: what ``trellis rates …`` and ``GET/PUT /t/{t}/api/_rates`` call.

A rate is given as ``{"from": "EUR", "to": "USD", "date": "2026-01-31", "rate": "1.08"}``
(one EUR is worth 1.08 USD on that day and after, until a newer rate). A ``PUT``
stores one rate or ``{"items": [...]}``; a CSV import reads ``date,from,to,rate``
rows. Either every rate is stored or none (422 naming each bad part).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.money import rates_table
from trellis.platform.money.rates import Rate, RateError, list_rates, parse_rate, set_rates
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.runtime import Runtime

#: The header of a rates CSV file (column order is free; names are not).
CSV_COLUMNS = ("date", "from", "to", "rate")
#: Most rates one request or file stores.
MAX_RATES = 10_000
_KEYS = frozenset({"from", "to", "date", "rate"})


def show_rates(runtime: Runtime, tenant: str, currency: str | None = None) -> dict[str, Any]:
    """The tenant's base currency and its rates (those involving ``currency`` if given)."""
    app = runtime.app(tenant)
    with runtime.engines.tenant_connection(tenant) as conn:
        rates = list_rates(conn, rates_table(app), currency)
    return {"base": app.model.currency, "items": [r.as_json() for r in rates]}


def store_rates(
    runtime: Runtime, tenant: str, rates: Sequence[Rate], user_id: int | None
) -> list[Rate]:
    """Store ``rates`` in one transaction (a rate of the same pair and day is replaced)."""
    app = runtime.app(tenant)
    now = runtime.clock.now()
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        set_rates(conn, rates_table(app), rates, now, user_id)
    return list(rates)


def rates_from_body(body: Any) -> list[Rate]:
    """The rates of a ``PUT _rates`` body: one rate object or ``{"items": [rate, …]}``.

    Raises:
        ValidationFailedError: a bad rate (keys ``from``, ``rate`` … or
            ``items.N.rate`` …), an unknown key, or no rate at all (422).
    """
    if isinstance(body, dict) and set(body) == {"items"}:
        items = body["items"]
        if not isinstance(items, list) or not items or len(items) > MAX_RATES:
            message = Translatable("Send a list of 1 to %(max)s rates.", max=MAX_RATES)
            raise ValidationFailedError({"items": [message]})
        return _parse_all([(f"items.{i}.", item) for i, item in enumerate(items)])
    return _parse_all([("", body)])


def _parse_all(items: list[tuple[str, Any]]) -> list[Rate]:
    errors: dict[str, list[str]] = {}
    rates: list[Rate] = []
    for prefix, item in items:
        if not isinstance(item, dict):
            errors[prefix.rstrip(".") or "__all__"] = [
                Translatable(
                    'A rate is an object: {"from": "EUR", "to": "USD", "date": "2026-01-31", '
                    '"rate": "1.08"}.'
                )
            ]
            continue
        for key in sorted(set(item) - _KEYS):
            errors[f"{prefix}{key}"] = [
                Translatable("Unknown key '%(key)s'; a rate has from, to, date, rate.", key=key)
            ]
        try:
            rates.append(
                parse_rate(item.get("from"), item.get("to"), item.get("rate"), item.get("date"))
            )
        except RateError as error:
            for key, messages in error.errors.items():
                errors[f"{prefix}{key}"] = messages
    if errors:
        raise ValidationFailedError(errors)
    return rates


def rates_from_csv(text: str) -> list[Rate]:
    """The rates of a CSV file with a ``date,from,to,rate`` header.

    Raises:
        RateError: a missing column or bad rows; keys are ``line N`` (1-based, the
            header is line 1) and every bad row is reported.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        wanted, absent = ", ".join(CSV_COLUMNS), ", ".join(missing)
        message = Translatable(
            "The CSV header needs the columns %(wanted)s; missing: %(absent)s.",
            wanted=wanted,
            absent=absent,
        )
        raise RateError({"header": [message]})
    errors: dict[str, list[str]] = {}
    rates: list[Rate] = []
    for row in reader:
        line = f"line {reader.line_num}"
        if len(rates) + len(errors) >= MAX_RATES:
            errors[line] = [Translatable("A file holds at most %(max)s rates.", max=MAX_RATES)]
            break
        try:
            parts = [(row[c] or "").strip() for c in ("from", "to", "rate", "date")]
            rates.append(parse_rate(*parts))
        except RateError as error:
            errors[line] = [
                Translatable("%(key)s: %(message)s", key=key, message=m)
                for key, ms in error.errors.items()
                for m in ms
            ]
    if errors:
        raise RateError(errors)
    if not rates:
        raise RateError({"file": [Translatable("The file holds no rates.")]})
    return rates


__all__ = [
    "CSV_COLUMNS",
    "MAX_RATES",
    "rates_from_body",
    "rates_from_csv",
    "show_rates",
    "store_rates",
]
