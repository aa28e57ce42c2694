"""``GET /t/{t}/api/{entity}?as_of=…``: a list page as it was at a past moment.

The records that existed then are rebuilt from their history
(:func:`~trellis.platform.history.list_as_of.records_as_of`), limited by the caller's
record scope as it is today; the filter runs as its compiled closure on the past
values (references are read as they are now, within the caller's scope), the sort
follows the live list's order (empty values last ascending, first descending, then
id), and the page is cut by an offset cursor (``a<offset>``) whose count is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.authz.call import Call
from trellis.platform.authz.restrict import check_list_names
from trellis.platform.history.list_as_of import records_as_of
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.query import (
    SortKey,
    compile_filter,
    parse_fields,
    parse_limit,
    parse_sort,
)
from trellis.platform.records.views import record_json
from trellis.platform.services.expand import parse_expand, with_expanded
from trellis.platform.services.values import ListArgs, Page
from trellis.rules.expr import EvalContext

if TYPE_CHECKING:
    from trellis.platform.services.records import RecordsService

_CURSOR_PREFIX = "a"
Record = dict[str, Any]


def parse_offset(text: str | None) -> int:
    """The offset an ``as_of`` list cursor continues at (0 without one); 400 otherwise."""
    if text is None:
        return 0
    body = text[len(_CURSOR_PREFIX) :] if text.startswith(_CURSOR_PREFIX) else ""
    if not (body.isascii() and body.isdigit()) or len(body) > 9:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise BadRequestError(
            "cursor is not valid.",
            {"cursor": [f"'{shown}' is not a cursor of a list with as_of."]},
        )
    return int(body)


def _compare(sort: tuple[SortKey, ...]) -> Callable[[Record, Record], int]:
    """The live list's order: empty values sort as the largest, the id breaks ties."""

    def compare(a: Record, b: Record) -> int:
        for key in sort:
            x, y = a.get(key.name), b.get(key.name)
            if x == y:
                continue
            if x is None or y is None:
                larger = 1 if x is None else -1
            elif x > y:
                larger = 1
            else:
                larger = -1
            return -larger if key.descending else larger
        return 1 if a["id"] > b["id"] else -1

    return compare


def _resolver(
    call: Call, conn: sa.Connection, ectx: EvalContext
) -> Callable[[str, int], Record | None]:
    """Referenced records as they are now, only those inside the caller's scope."""
    cache: dict[tuple[str, int], Record | None] = {}

    def resolve(entity_name: str, record_id: int) -> Record | None:
        key = (entity_name, record_id)
        if key not in cache:
            target = call.app.entities[entity_name]
            t = target.table
            query = sa.select(t).where(t.c.id == record_id, t.c.deleted_at.is_(None))
            scope = call.access.scope(target, ectx)
            if scope is not None:
                query = query.where(scope)
            row = conn.execute(query).first()
            cache[key] = dict(row._mapping) if row is not None else None
        return cache[key]

    return resolve


def page_as_of(
    service: RecordsService, call: Call, entity: CompiledEntity, args: ListArgs, at: datetime
) -> Page:
    """One page of the list as it was at ``at`` (exact count, offset cursor)."""
    config = service.runtime.config
    access = call.access
    check_list_names(access, entity, args.sort, args.fields)
    expansions = parse_expand(entity, access.entity(entity.name).columns, args.expand)
    sort = parse_sort(entity, args.sort)
    limit = parse_limit(args.limit, config.default_page_size, config.max_page_size)
    offset = parse_offset(args.cursor)
    fields = with_expanded(parse_fields(entity, args.fields), expansions)
    columns = fields or access.entity(entity.name).columns
    if args.filter and not access.admin:
        service.filter_checks(call).check(access.roles, entity.name, args.filter)
    compiled = compile_filter(args.filter, entity.entity, call.app.model) if args.filter else None
    now = service.runtime.clock.now()
    with service.connect(call) as conn:
        ectx = EvalContext(now=now, user_id=call.identity.user_id)
        scope = access.scope(entity, ectx)
        ectx = EvalContext(
            now=now, user_id=call.identity.user_id, resolve=_resolver(call, conn, ectx)
        )
        matches = [
            record
            for record in records_as_of(conn, call.app, entity, at, scope=scope)
            if compiled is None or compiled.evaluate(record, ectx) is True
        ]
        matches.sort(key=cmp_to_key(_compare(sort)))
        chosen = matches[offset : offset + limit]
        items = [record_json(entity, row, columns) for row in chosen]
        service.expand_items(call, conn, items, expansions)
    more = offset + limit < len(matches)
    cursor = f"{_CURSOR_PREFIX}{offset + limit}" if more else None
    return Page(items, cursor, len(matches), True)


__all__ = ["page_as_of", "parse_offset"]
