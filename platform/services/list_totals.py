"""Totals of a list's money columns, through the caller's policy.

Each money column the caller may read is summed in SQL over the live records inside
the caller's scope and the list's filter, as the list's rows are. A money field that
carries its currency is summed per currency and rate day and converted to the base
currency (:mod:`trellis.platform.money`); amounts without a rate are reported, never
added raw. Hidden fields, and rollups restricted because the scope does not reach
every child, get no total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.authz import read_paths
from trellis.platform.authz.call import Call
from trellis.platform.money import (
    MissingRate,
    convert_parts,
    keyed_parts,
    money_source,
    parts_query,
    rate_book,
)
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.runtime import Runtime
from trellis.rules.expr import EvalContext


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    """The sum of one money column; ``currency`` None when the amounts do not say."""

    total: Decimal
    currency: str | None = None
    #: Amounts left out of the total for want of an exchange rate.
    missing: tuple[MissingRate, ...] = ()


def summable(call: Call, entity: CompiledEntity, names: Iterable[str]) -> list[str]:
    """The money columns among ``names`` that the caller may read in full."""
    access = call.access.entity(entity.name)
    fields = entity.entity.fields
    return [
        n
        for n in names
        if n in fields
        and fields[n].type == FieldType.MONEY
        and n in access.columns
        and n not in access.hidden
        and n not in access.restricted
        and n in entity.table.c
    ]


def money_totals(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    names: Iterable[str],
    filter_text: str | None,
) -> dict[str, MoneyTotal]:
    """Sum each readable money column of ``names`` over the caller's filtered records.

    Raises:
        ForbiddenError: the caller may not read ``entity``.
        BadRequestError: the filter is invalid.
    """
    access = call.access
    access.require(entity.name, "read")
    summed = summable(call, entity, names)
    if not summed:
        return {}
    t = entity.table
    ectx = EvalContext(now=access.clock.now(), user_id=call.identity.user_id)
    where: list[Any] = [t.c.deleted_at.is_(None)]
    scope = access.scope(entity, ectx)
    if scope is not None:
        where.append(scope)
    condition = read_paths.scoped_filter(access, call.app, entity, filter_text, ectx)
    if condition is not None:
        where.append(condition)
    plain = [n for n in summed if money_source(entity.entity, n) is None]
    found: dict[str, MoneyTotal] = {}
    with runtime.engines.tenant_connection(call.tenant) as conn:
        if plain:
            sums = [sa.func.sum(t.c[n]).label(n) for n in plain]
            row = conn.execute(sa.select(*sums).where(*where)).one()
            for n in plain:
                value = row._mapping[n]
                found[n] = MoneyTotal(_cents(value))
        book = None
        for n in summed:
            money = money_source(entity.entity, n)
            if money is None:
                continue
            rows = conn.execute(parts_query(money, t, conn.dialect.name, where))
            parts = keyed_parts(rows, ectx.today, 0).get((), [])
            book = book or rate_book(conn, call.app)
            result = convert_parts(parts, "sum", book)
            found[n] = MoneyTotal(result.value or Decimal(0), result.currency, result.missing)
    return found


def _cents(value: Any) -> Decimal:
    """A summed amount as a Decimal of 2 places (SQLite sums floats)."""
    if value is None:
        return Decimal("0.00")
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(Decimal("0.01"))


__all__ = ["MoneyTotal", "money_totals", "summable"]
