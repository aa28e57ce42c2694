"""Field history and time travel of a record, as the caller may see them.

``GET …/{entity}/{id}/_history`` and ``GET …/{entity}/{id}?as_of=`` both need the
record readable by the caller: a live record in their scope, or a deleted one in their
scope when they may ``delete`` the entity (the recycle bin's rule); anything else is
404, as for a read. Fields hidden from the caller's role are left out of both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call
from trellis.platform.history import HistoryPage, history_page, parse_cursor, record_as_of
from trellis.platform.history.recent import Touched, touched_by
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.query import parse_limit
from trellis.platform.runtime import Runtime
from trellis.platform.services.values import RecordBody

#: RFC 3339 date-time: date, time with seconds, optional fraction, ``Z`` or an offset.
_RFC3339 = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
#: Page size of the history when ``limit`` is not given.
DEFAULT_HISTORY_PAGE = 50


def parse_as_of(text: str) -> datetime:
    """An RFC 3339 date-time from ``as_of`` (``2026-10-01T00:00:00Z``), as aware UTC.

    Raises:
        BadRequestError: anything else, an impossible date included (400 naming ``as_of``).
    """
    shown = text if len(text) <= 40 else text[:40] + "…"
    found = _RFC3339.match(text)
    try:
        if found is None:
            raise ValueError(text)
        day, clock, fraction, zone = found.groups()
        seconds = min(int(clock[-2:]), 59)  # a leap second reads as the one before it
        stamp = f"{day}T{clock[:-2]}{seconds:02d}{(fraction or '')[:7]}"
        at = datetime.fromisoformat(stamp + ("+00:00" if zone in "Zz" else zone))
    except ValueError:
        raise BadRequestError(
            Translatable("as_of must be a date-time such as 2026-10-01T00:00:00Z."),
            {
                "as_of": [
                    Translatable(
                        "'%(value)s' is not a date-time such as 2026-10-01T00:00:00Z.", value=shown
                    )
                ]
            },
        ) from None
    return at.astimezone(UTC)


def require_history_access(
    call: Call, conn: sa.Connection, entity: CompiledEntity, record_id: int
) -> dict[str, Any]:
    """The stored row of record ``record_id``: 404 unless the caller may see it (live, or
    deleted and theirs to restore)."""
    t = entity.table
    row = conn.execute(sa.select(t).where(t.c.id == record_id)).first()
    missing = NotFoundError(
        Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
    )
    if row is None:
        raise missing
    deleted = row._mapping["deleted_at"] is not None
    if deleted and not call.access.can(entity.name, "delete"):
        raise missing
    if not call.access.reachable(conn, entity, record_id, deleted=deleted):
        raise missing
    return dict(row._mapping)


class HistoryService:
    """A record's change history and its state at a past moment."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def history(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        limit: str | None = None,
        cursor: str | None = None,
    ) -> HistoryPage:
        """A page of the record's writes, newest first, without hidden fields."""
        size = parse_limit(limit, DEFAULT_HISTORY_PAGE, self.runtime.config.max_page_size)
        before = parse_cursor(cursor)
        hidden = call.access.entity(entity.name).hidden
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            require_history_access(call, conn, entity, record_id)
            return history_page(
                conn,
                call.app,
                entity,
                record_id,
                visible=lambda name: name not in hidden,
                before=before,
                limit=size,
            )

    def recent(self, call: Call, limit: int) -> list[Touched]:
        """Records of readable entities the caller wrote lately, newest first.

        Records since deleted or out of the caller's scope are the caller's to drop
        (``RecordsService.titles`` answers only live, in-scope ids).
        """
        readable = [n for n in call.app.entities if call.access.can(n, "read")]
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            return touched_by(conn, call.app, call.identity.user_id or 0, readable, limit)

    def as_of(self, call: Call, entity: CompiledEntity, record_id: int, at: datetime) -> RecordBody:
        """The record as it was at ``at`` (404 before it was created or while deleted)."""
        columns = call.access.entity(entity.name).columns
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            row = require_history_access(call, conn, entity, record_id)
            record = record_as_of(conn, call.app, entity, row, at)
        if record is None:
            raise NotFoundError(
                Translatable(
                    "No %(entity)s with id %(id)s at %(at)s.",
                    entity=entity.name,
                    id=record_id,
                    at=at.isoformat(),
                )
            )
        visible = {name: record.get(name) for name in columns}
        return RecordBody(visible, int(record["version"]))


__all__ = ["DEFAULT_HISTORY_PAGE", "HistoryService", "parse_as_of", "require_history_access"]
