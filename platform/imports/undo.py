"""Undo an import: soft-delete what it created, put back what it changed.

Created records go to the recycle bin (a soft delete through the save pipeline, so
they can be restored from there); updated records get back the values the import
overwrote, as an update whose history source is ``import_undo``. A record changed
deleted since the import is skipped and counted. Undo runs as the caller, with their permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.automation import record_service
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.session import import_row
from trellis.platform.imports.store import rows_table, set_state
from trellis.platform.records.errors import NotFoundError, RecordError
from trellis.platform.records.save_context import SaveContext

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

_BATCH = 500
UNDO_SOURCE = "import_undo"


@dataclass(slots=True)
class UndoReport:
    """How many records were deleted, restored, or skipped (with the first reasons)."""

    deleted: int = 0
    restored: int = 0
    skipped: int = 0

    def as_json(self) -> dict[str, int]:
        """The counts."""
        return {"deleted": self.deleted, "restored": self.restored, "skipped": self.skipped}


def undo_import(runtime: Runtime, call: Call, import_id: int) -> UndoReport:
    """Undo import ``import_id`` (done, failed, interrupted or cancelled); it ends ``undone``.

    Raises:
        ImportRefusedError: no such import, a dry run, already undone, or still running.
    """
    row = import_row(runtime, call, import_id)
    if row["dry_run"]:
        raise ImportRefusedError(
            Translatable("Import %(id)s was a dry run: it wrote nothing to undo.", id=import_id)
        )
    if row["state"] == "undone":
        raise ImportRefusedError(Translatable("Import %(id)s is already undone.", id=import_id))
    if row["state"] in ("queued", "running", "cancelling"):
        raise ImportRefusedError(
            Translatable(
                "Import %(id)s is %(state)s; undo it when it ends.",
                id=import_id,
                state=row["state"],
            )
        )
    entity = call.app.entities.get(row["entity"])
    if entity is None:
        raise ImportRefusedError(
            Translatable("Entity '%(entity)s' no longer exists.", entity=row["entity"])
        )
    call.access.require(entity.name, "import")
    service = record_service(call.rt)
    t = rows_table(call.app.metadata)
    report = UndoReport()
    last: int | None = None
    while True:
        query = sa.select(t).where(t.c.import_id == import_id).order_by(t.c.id.desc())
        if last is not None:
            query = query.where(t.c.id < last)
        with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
            rows = conn.execute(query.limit(_BATCH)).mappings().all()
            ctx = SaveContext(conn, call.member, runtime.clock.now(), source=UNDO_SOURCE)
            for item in rows:
                savepoint = conn.begin_nested()
                try:
                    if item["op"] == "created":
                        service.delete(ctx, entity, int(item["record_id"]), None)
                        report.deleted += 1
                    else:
                        if service.get(conn, entity, int(item["record_id"])) is None:
                            raise NotFoundError("The record is gone.")
                        before = dict(item["before"] or {})
                        service.update(ctx, entity, int(item["record_id"]), before, None)
                        report.restored += 1
                except RecordError:
                    savepoint.rollback()
                    report.skipped += 1
                    continue
                savepoint.commit()
        if len(rows) < _BATCH:
            break
        last = int(rows[-1]["id"])
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        set_state(conn, call.app.metadata, import_id, "undone", runtime.clock.now(),
                  message=f"undone: {report.as_json()}")  # fmt: skip
    return report


__all__ = ["UNDO_SOURCE", "UndoReport", "undo_import"]
