"""Money in several currencies: dated exchange rates and conversion to the base currency.

The tenant's base currency is ``currency:`` in app.yaml; its rates live in the
``_rates`` table (:mod:`.rates`); rollups, dashboards, forecasts and money formulas
aggregate amounts per currency and rate date (:mod:`.parts`) and convert them
(:mod:`.convert`), never adding two currencies raw.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from trellis.platform.db.tables import RATES_TABLE
from trellis.platform.money.convert import (
    Converted,
    MissingRate,
    Part,
    convert_amount,
    convert_parts,
)
from trellis.platform.money.parts import (
    MoneySource,
    converted_currency,
    keyed_parts,
    money_source,
    parts_query,
)
from trellis.platform.money.rates import (
    Rate,
    RateBook,
    RateError,
    list_rates,
    parse_rate,
    set_rates,
)
from trellis.platform.money.units import currency_symbol, minor_units, round_amount
from trellis.platform.records.compiled import CompiledApp


def rates_table(app: CompiledApp) -> sa.Table:
    """The tenant's ``_rates`` table."""
    return app.metadata.tables[RATES_TABLE]


def rate_book(
    conn: sa.Connection, app: CompiledApp, among: Collection[str] | None = None
) -> RateBook:
    """The tenant's rates (between ``among`` and the base when given), with the base."""
    return RateBook.load(conn, rates_table(app), app.model.currency, among)


__all__ = [
    "Converted",
    "MissingRate",
    "MoneySource",
    "Part",
    "Rate",
    "RateBook",
    "RateError",
    "convert_amount",
    "convert_parts",
    "converted_currency",
    "currency_symbol",
    "keyed_parts",
    "list_rates",
    "minor_units",
    "money_source",
    "parse_rate",
    "parts_query",
    "rate_book",
    "rates_table",
    "round_amount",
    "set_rates",
]
