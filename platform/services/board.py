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

from trellis.platform.authz import read_paths
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.runtime import Runtime
from trellis.rules.expr import EvalContext


@dataclass(frozen=True, slots=True)
class ColumnTotal:
    """One column of a board: its record count and the sum of the total field."""

    count: int
    total: Decimal | None


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
            f"'{field}' is not a field of {entity.name}.", {"field": [f"Unknown field '{field}'."]}
        )
    t = entity.table
    ectx = EvalContext(now=access.clock.now(), user_id=call.identity.user_id)
    columns: list[Any] = [t.c[field].label("key"), sa.func.count().label("n")]
    summed = total if total is not None and total in visible else None
    if summed is not None:
        columns.append(sa.func.sum(t.c[summed]).label("total"))
    query = sa.select(*columns).where(t.c.deleted_at.is_(None)).group_by(t.c[field])
    scope = access.scope(entity, ectx)
    if scope is not None:
        query = query.where(scope)
    condition = read_paths.scoped_filter(access, call.app, entity, filter_text, ectx)
    if condition is not None:
        query = query.where(condition)
    with runtime.engines.tenant_connection(call.tenant) as conn:
        rows = conn.execute(query).all()
    found: dict[str | None, ColumnTotal] = {}
    for row in rows:
        value = row.total if summed is not None else None
        amount = Decimal(str(value)) if value is not None else None
        found[row.key] = ColumnTotal(int(row.n), amount if summed is not None else None)
    return found


__all__ = ["ColumnTotal", "column_totals"]
