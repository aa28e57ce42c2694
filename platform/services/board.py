"""Per-column counts and totals of a kanban board, through the caller's policy.

A board groups an entity's records by a pipeline or enum field. Each column shows how
many records it holds and the sum of a number field; both are computed in SQL over
live records inside the caller's scope and filter, as lists and exports are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import read_paths
from trellis.platform.authz.call import Call
from trellis.platform.money import (
    Converted,
    MissingRate,
    convert_parts,
    keyed_parts,
    money_source,
    parts_query,
    rate_book,
)
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.runtime import Runtime
from trellis.rules.expr import EvalContext


@dataclass(frozen=True, slots=True)
class ColumnTotal:
    """One column of a board: its record count and the sum of the total field."""

    count: int
    total: Decimal | None
    #: The total's currency when amounts in several currencies were converted to it.
    currency: str | None = None
    #: Amounts left out of the total for want of an exchange rate.
    missing: tuple[MissingRate, ...] = ()


def column_totals(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    field: str,
    total: str | None,
    filter_text: str | None,
) -> Mapping[str | None, ColumnTotal]:
    """Count (and sum ``total`` of) the in-scope records of ``entity`` by ``field``.

    ``total`` is ignored when it is hidden from the caller. The filter is compiled
    as the caller sees the model, like a list filter.

    Raises:
        ForbiddenError: the caller may not read ``entity``.
        BadRequestError: ``field`` is not a visible column, or the filter is invalid.
    """
    access = call.access
    access.require(entity.name, "read")
    visible = access.entity(entity.name).columns
    if field not in visible:
        raise BadRequestError(
            Translatable(
                "'%(name)s' is not a field of %(entity)s.", name=field, entity=entity.name
            ),
            {"field": [Translatable("Unknown field '%(name)s'.", name=field)]},
        )
    t = entity.table
    ectx = EvalContext(now=access.clock.now(), user_id=call.identity.user_id)
    columns: list[Any] = [t.c[field].label("key"), sa.func.count().label("n")]
    summed = total if total is not None and total in visible else None
    money = money_source(entity.entity, summed)
    if summed is not None and money is None:
        columns.append(sa.func.sum(t.c[summed]).label("total"))
    where: list[Any] = [t.c.deleted_at.is_(None)]
    scope = access.scope(entity, ectx)
    if scope is not None:
        where.append(scope)
    condition = read_paths.scoped_filter(access, call.app, entity, filter_text, ectx)
    if condition is not None:
        where.append(condition)
    query = sa.select(*columns).where(*where).group_by(t.c[field])
    converted: dict[Any, Converted] = {}
    with runtime.engines.tenant_connection(call.tenant) as conn:
        rows = conn.execute(query).all()
        if money is not None:
            parts_rows = conn.execute(parts_query(money, t, conn.dialect.name, where, [t.c[field]]))
            book = rate_book(conn, call.app)
            for key, parts in keyed_parts(parts_rows, ectx.today, 1).items():
                converted[key[0]] = convert_parts(parts, "sum", book)
    found: dict[str | None, ColumnTotal] = {}
    for row in rows:
        if money is not None:
            result = converted.get(row.key)
            if result is None:
                result = Converted(Decimal(0), call.app.model.currency)
            missing = result.missing
            found[row.key] = ColumnTotal(int(row.n), result.value, result.currency, missing)
            continue
        value = row.total if summed is not None else None
        amount = Decimal(str(value)) if value is not None else None
        found[row.key] = ColumnTotal(int(row.n), amount if summed is not None else None)
    return found


__all__ = ["ColumnTotal", "column_totals"]
