"""The recycle bin of an entity: list deleted records, restore them, purge them for good.

Who may use it: listing and restoring need the ``delete`` action on the entity, and
reach only the deleted records inside the caller's record scope (an ``own`` sales rep
sees and restores what they owned), because undoing a delete is the same decision as
making it. Hard delete (``purge``) is its own action, granted separately in
roles.yaml, and every purge is written to the audit log. Fields hidden from the
caller's role are left out of the listing.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call, visible_record
from trellis.platform.automation import record_service
from trellis.platform.duplicates.merge_log import merged_into
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.lines import lines_json
from trellis.platform.records.query import parse_limit
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.values import as_utc
from trellis.platform.recycle import Purged, purge_record
from trellis.platform.recycle.audit import PURGE_ACTION, purge_detail
from trellis.platform.runtime import Runtime
from trellis.platform.services.values import RecordBody
from trellis.rules.expr import EvalContext


@dataclass(frozen=True, slots=True)
class DeletedPage:
    """Deleted records, most recently deleted first, and the next page's cursor."""

    items: list[dict[str, Any]]
    next_cursor: str | None

    def as_json(self) -> dict[str, Any]:
        """The page as the API answers it."""
        return {"items": self.items, "next_cursor": self.next_cursor}


def _encode(at: datetime, record_id: int) -> str:
    text = f"{as_utc(at).isoformat()}|{record_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, ident = base64.urlsafe_b64decode(padded.encode("ascii")).decode().split("|")
        return as_utc(datetime.fromisoformat(stamp)), int(ident)
    except (ValueError, UnicodeError, binascii.Error):
        shown = cursor if len(cursor) <= 40 else cursor[:40] + "…"
        raise BadRequestError(
            "cursor is not valid.", {"cursor": [f"'{shown}' is not a cursor of this list."]}
        ) from None


class RecycleBinService:
    """Deleted records of an entity, on behalf of authenticated calls."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def deleted(
        self,
        call: Call,
        entity: CompiledEntity,
        limit: str | None = None,
        cursor: str | None = None,
    ) -> DeletedPage:
        """A page of the entity's deleted records inside the caller's scope (``delete``).

        Each item carries ``merged_into``: the survivor a merge put it into, else None.
        """
        call.access.require(entity.name, "delete")
        config = self.runtime.config
        size = parse_limit(limit, config.default_page_size, config.max_page_size)
        t = entity.table
        query = sa.select(t).where(t.c.deleted_at.is_not(None))
        ectx = EvalContext(now=self.runtime.clock.now(), user_id=call.identity.user_id)
        scope = call.access.scope(entity, ectx)
        if scope is not None:
            query = query.where(scope)
        if cursor is not None:
            at, ident = _decode(cursor)
            query = query.where(
                sa.or_(t.c.deleted_at < at, sa.and_(t.c.deleted_at == at, t.c.id < ident))
            )
        query = query.order_by(t.c.deleted_at.desc(), t.c.id.desc()).limit(size + 1)
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            page = rows[:size]
            survivors = merged_into(conn, call.app, entity.name, [int(r["id"]) for r in page])
        more = len(rows) > size and page
        last = page[-1] if page else None
        next_cursor = _encode(last["deleted_at"], last["id"]) if more and last else None
        items = [
            {**visible_record(call, entity, r), "merged_into": survivors.get(int(r["id"]))}
            for r in page
        ]
        return DeletedPage(items, next_cursor)

    def restore(self, call: Call, entity: CompiledEntity, record_id: int) -> RecordBody:
        """Undelete a record and what cascade deleted with it (see ``RecordService.restore``)."""
        service = record_service(call.rt)
        engines = self.runtime.engines
        with engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
            ctx = SaveContext(conn, call.member, self.runtime.clock.now(), source="restore")
            record = service.restore(ctx, entity, record_id)
            body = visible_record(call, entity, record)
            roles = call.access.roles.entities  # the restored lines, as a read shows them
            hidden = lambda name: roles[name].hidden if name in roles else ()  # noqa: E731
            body.update(lines_json(conn, call.app, entity, record_id, hidden))
        return RecordBody(body, int(record["version"]))

    def purge(self, call: Call, entity: CompiledEntity, record_id: int) -> Purged:
        """Remove a deleted record for good (the ``purge`` action), audited.

        Raises:
            ForbiddenError: the caller's roles do not grant ``purge`` on the entity.
            NotFoundError: no deleted record with that id inside the caller's scope.
        """
        call.access.require(entity.name, "purge")
        engines = self.runtime.engines
        with engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
            missing = NotFoundError(
                Translatable(
                    "No deleted %(entity)s with id %(id)s.", entity=entity.name, id=record_id
                )
            )
            if not call.access.reachable(conn, entity, record_id, deleted=True):
                raise missing
            purged = purge_record(conn, call.app, entity, record_id)
            if purged is None:
                raise missing
            # Audited before the commit: a purge the audit log cannot record does not happen.
            self.runtime.registry.audit.record(
                call.identity.tenant_id,
                PURGE_ACTION,
                actor=call.identity.email,
                actor_user_id=call.identity.user_id,
                target=f"{entity.name}:{record_id}",
                detail=purge_detail(purged, "requested"),
            )
        return purged


__all__ = ["DeletedPage", "RecycleBinService"]
