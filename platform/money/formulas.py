"""Money formulas in the base currency: ``weighted: {type: money, formula: "amount * 0.5"}``.

A money formula without a ``currency_field`` of its own that reads a money field which
carries its currency is an amount in the base currency: its value, computed in the
record's currency, is converted at that field's ``rate_date`` (an empty or not yet
stored date means today). A missing rate refuses the save (422 naming the formula
field and the date). A formula with its own ``currency_field`` stays in that currency.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.money import rate_book
from trellis.platform.money.convert import MissingRate
from trellis.platform.money.parts import TODAY, MoneySource, money_source
from trellis.platform.money.units import round_amount
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ValidationFailedError


@dataclass(frozen=True, slots=True)
class FormulaConversion:
    """A money formula field converted to the base currency from ``source``'s currency."""

    field: str
    source: MoneySource


def formula_conversions(entity: CompiledEntity) -> tuple[FormulaConversion, ...]:
    """The money formulas of ``entity`` whose values convert to the base currency."""
    found: list[FormulaConversion] = []
    for f, formula in entity.formulas:
        if f.type != FieldType.MONEY or f.currency_field is not None:
            continue
        for path in formula.field_paths:
            source = money_source(entity.entity, path[0]) if len(path) == 1 else None
            if source is not None:
                found.append(FormulaConversion(f.name, source))
                break
    return tuple(found)


def _day(source: MoneySource, record: MutableMapping[str, Any], today: date) -> date:
    value = record.get(source.rate_date) if source.rate_date != TODAY else None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else today


def convert_formulas(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    record: MutableMapping[str, Any],
    today: date,
) -> None:
    """Convert ``record``'s money formula values to the base currency, in place.

    Raises:
        ValidationFailedError: no rate (or no base currency) for a value (422).
    """
    base = app.model.currency
    errors: dict[str, list[str]] = {}
    for conversion in formula_conversions(entity):
        value = record.get(conversion.field)
        currency = record.get(conversion.source.currency_field)
        if not isinstance(value, Decimal) or not currency or currency == base:
            continue
        day = _day(conversion.source, record, today)
        book = rate_book(conn, app, {str(currency)})
        rate = book.rate(str(currency), base, day) if base is not None else None
        if rate is None:
            errors[conversion.field] = [MissingRate(str(currency), day, base).sentence()]
            continue
        record[conversion.field] = round_amount(value * rate, base)
    if errors:
        raise ValidationFailedError(errors)


__all__ = ["FormulaConversion", "convert_formulas", "formula_conversions"]
