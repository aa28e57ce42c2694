"""Merging duplicates on behalf of a caller, and undoing a merge (docs/duplicates.md)."""

from __future__ import annotations

from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call, visible_record
from trellis.platform.automation import record_service
from trellis.platform.duplicates.merge import merge_records
from trellis.platform.duplicates.merge_log import load_merge
from trellis.platform.duplicates.merge_request import parse_merge
from trellis.platform.duplicates.undo import undo_merge
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError
from trellis.platform.records.save_context import SaveContext
from trellis.platform.runtime import Runtime


class MergesService:
    """Merge records of an entity into a survivor; look up and undo merges."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _context(self, call: Call, conn: Any) -> SaveContext:
        return SaveContext(conn, call.member, self.runtime.clock.now(), source="merge")

    def merge(self, call: Call, entity: CompiledEntity, body: Any) -> dict[str, Any]:
        """Check the body, then merge in one transaction: all of it or nothing.

        Raises:
            BadRequestError: a malformed body, a survivor among the losers (400).
            ValidationFailedError: an unknown or computed field in ``fields`` (422).
            ForbiddenError: no ``update`` and ``delete`` on the entity (403).
            NotFoundError: a record not live or outside the caller's scope (404).
        """
        request = parse_merge(entity, body)
        service = record_service(call.rt)
        engines = self.runtime.engines
        with engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
            result = merge_records(service, self._context(call, conn), entity, request)
        return {
            "merge_id": result.merge_id,
            "survivor": visible_record(call, entity, result.survivor),
            "losers": [{"id": i, "merged_into": request.survivor} for i in request.losers],
            "moved": result.moved,
        }

    def read(self, call: Call, entity: CompiledEntity, merge_id: int) -> dict[str, Any]:
        """The merge ``merge_id`` (needs ``update`` and ``delete``, like the merge)."""
        call.access.require(entity.name, "update")
        call.access.require(entity.name, "delete")
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            entry = load_merge(conn, call.app, entity.name, merge_id)
            if entry is None or not call.access.reachable(conn, entity, entry.survivor_id):
                raise NotFoundError(
                    Translatable("No merge %(id)s of %(entity)s.", id=merge_id, entity=entity.name)
                )
        return entry.as_json()

    def undo(self, call: Call, entity: CompiledEntity, merge_id: int) -> dict[str, Any]:
        """Undo a merge while its losers are in the recycle bin (see ``undo_merge``)."""
        service = record_service(call.rt)
        engines = self.runtime.engines
        with engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
            entry = undo_merge(service, self._context(call, conn), entity, merge_id)
            answer = entry.as_json()
            answer["undone_at"] = self.runtime.clock.now()
        return answer


__all__ = ["MergesService"]
