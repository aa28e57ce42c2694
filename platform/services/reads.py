"""Reads across records of a caller: search, autocomplete and export (same policy as lists)."""

from __future__ import annotations

from trellis.platform.authz import read_paths
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.runtime import Runtime
from trellis.platform.search import SearchHit, query_words, search
from trellis.platform.services.record_export import export_records
from trellis.platform.services.values import ExportFile
from trellis.rules.expr import EvalContext


class ReadsService:
    """Search, autocomplete and export on behalf of authenticated calls."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _ectx(self, call: Call) -> EvalContext:
        return EvalContext(now=self.runtime.clock.now(), user_id=call.identity.user_id)

    def search(self, call: Call, q: str | None, limit: str | None = None) -> list[SearchHit]:
        """Readable, in-scope records of any entity holding every word of ``q``, best first.

        Raises:
            BadRequestError: ``q`` empty, too long or holding NUL; ``limit`` out of range.
        """
        words = query_words(q)
        size = read_paths.parse_limit(limit)
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            return search(conn, call.access, self._ectx(call), words, size)

    def autocomplete(
        self, call: Call, entity: CompiledEntity, q: str | None, limit: str | None = None
    ) -> list[read_paths.Hit]:
        """In-scope records of ``entity`` matching ``q`` (may be empty)."""
        call.access.require(entity.name, "read")
        words = read_paths.parse_words(q, required=False)
        size = read_paths.parse_limit(limit)
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            return read_paths.autocomplete(conn, call.access, entity, self._ectx(call), words, size)

    def export(
        self,
        call: Call,
        entity: CompiledEntity,
        fmt: str | None,
        filter_text: str | None = None,
        fields: str | None = None,
        *,
        ids: bool = False,
    ) -> ExportFile:
        """The in-scope records of ``entity`` as a file, audited; references by title
        unless ``ids``."""
        return export_records(self.runtime, call, entity, fmt, filter_text, fields, ids=ids)


__all__ = ["ReadsService"]
