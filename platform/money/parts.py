"""SQL side of money aggregates: which currency and rate date each amount has.

A money field with a ``currency_field`` is converted at its ``rate_date``: ``today``,
or the day (UTC) of a date or datetime column (``created_at`` when not declared).
:func:`parts_query` groups the amounts by currency and that day (and by any extra
keys, such as a dashboard's group), so conversion reads a few rows, not every record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, EntityDef, FieldDef, FieldType
from trellis.platform.money.convert import Part

TODAY = "today"
DEFAULT_RATE_DATE = "created_at"
_DATETIME_COLUMNS = frozenset({"created_at", "updated_at"})
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class MoneySource:
    """A money field whose records carry their currency."""

    field: FieldDef
    currency_field: str
    #: ``today`` or the name of the date or datetime column giving the rate's day.
    rate_date: str
    rate_date_is_datetime: bool


def money_source(entity: EntityDef, name: str | None) -> MoneySource | None:
    """The money source of field ``name`` of ``entity``; None when it has no currency field."""
    f = entity.fields.get(name) if name is not None else None
    if f is None or f.type != FieldType.MONEY or f.currency_field is None:
        return None
    rate_date = f.rate_date or DEFAULT_RATE_DATE
    column = entity.fields.get(rate_date)
    is_datetime = rate_date in _DATETIME_COLUMNS or (
        column is not None and column.type == FieldType.DATETIME
    )
    return MoneySource(f, f.currency_field, rate_date, is_datetime)


def day_expression(source: MoneySource, table: sa.Table, dialect: str) -> sa.ColumnElement[Any]:
    """SQL text ``YYYY-MM-DD`` of the rate's day (NULL for ``today``: filled in later)."""
    if source.rate_date == TODAY:
        return sa.null()
    column = table.c[source.rate_date]
    if dialect == "postgresql":
        value = sa.func.timezone("UTC", column) if source.rate_date_is_datetime else column
        return sa.func.to_char(value, "YYYY-MM-DD", type_=sa.String())
    return sa.func.strftime("%Y-%m-%d", column, type_=sa.String())


def parts_query(
    source: MoneySource,
    table: sa.Table,
    dialect: str,
    where: Sequence[sa.ColumnElement[Any]],
    keys: Sequence[sa.ColumnElement[Any]] = (),
) -> sa.Select[Any]:
    """Sum, count, min and max of the amounts per currency, rate day and ``keys``.

    The extra keys come first in each row, labelled ``key0``, ``key1`` …
    """
    amount = table.c[source.field.name]
    currency = table.c[source.currency_field]
    day = day_expression(source, table, dialect)
    labelled = [k.label(f"key{i}") for i, k in enumerate(keys)]
    groups = [*keys, currency] if source.rate_date == TODAY else [*keys, currency, day]
    return (
        sa.select(
            *labelled,
            currency.label("currency"),
            day.label("day"),
            sa.func.sum(amount).label("total"),
            sa.func.count(amount).label("count"),
            sa.func.min(amount).label("low"),
            sa.func.max(amount).label("high"),
        )
        .where(amount.is_not(None), *where)
        .group_by(*groups)
    )


def part_of(row: Any, today: date) -> Part:
    """A row of :func:`parts_query` as a :class:`Part` (``today`` for rows without a day)."""
    day = date.fromisoformat(str(row.day)[:10]) if row.day is not None else today
    currency = row.currency if isinstance(row.currency, str) and row.currency else None
    return Part(
        currency=currency,
        day=day,
        total=_decimal(row.total) or Decimal(0),
        count=int(row.count),
        low=_decimal(row.low),
        high=_decimal(row.high),
    )


def _decimal(value: Any) -> Decimal | None:
    """A stored amount (SQLite sums floats: back to the column's 2 places)."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(_CENT)


def keyed_parts(rows: Iterable[Any], today: date, width: int) -> dict[tuple[Any, ...], list[Part]]:
    """Rows of :func:`parts_query` by their ``width`` extra keys."""
    out: dict[tuple[Any, ...], list[Part]] = {}
    for row in rows:
        key = tuple(row[i] for i in range(width))
        out.setdefault(key, []).append(part_of(row, today))
    return out


def converted_currency(model: AppModel, entity: EntityDef, name: str) -> str | None:
    """The base currency when field ``name`` holds amounts converted to it (a rollup over
    money that carries its currency), else None."""
    f = entity.fields.get(name)
    spec = f.rollup if f is not None else None
    if f is None or spec is None or f.type != FieldType.MONEY or spec.agg == "count":
        return None
    child = model.entities.get(spec.entity)
    if child is None or money_source(child, spec.field) is None:
        return None
    return model.currency


__all__ = [
    "DEFAULT_RATE_DATE",
    "TODAY",
    "MoneySource",
    "converted_currency",
    "day_expression",
    "keyed_parts",
    "money_source",
    "part_of",
    "parts_query",
]
