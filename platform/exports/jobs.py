"""Export jobs: ``start_export`` checks and queues, ``run_export_job`` writes the file.

An export job is checked like a streamed export (right to export, format, fields,
filter) before it is queued, so a bad one is refused at once. The outbox's ``export``
handler then runs it as the member who asked, writes the file through a temporary
file and a rename, and marks it done with its expiry (``EXPIRY`` after it finished,
by the runtime's clock); the dispatcher's round purges expired jobs.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.exports.store import job_folder, load_state, new_id, save_state, update_state
from trellis.platform.records.errors import RecordError
from trellis.platform.services.record_export import plan_export, run_export

if TYPE_CHECKING:
    from collections.abc import Callable

    from trellis.platform.authz.call import Call
    from trellis.platform.records.compiled import CompiledEntity
    from trellis.platform.runtime import Runtime

JOB_KIND = "export"
#: How long a finished export's file and link last.
EXPIRY = timedelta(hours=24)


def start_export(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    fmt: str | None,
    filter_text: str | None = None,
    fields: str | None = None,
    *,
    ids: bool = False,
) -> dict[str, Any]:
    """Queue an export of ``entity`` for the caller; its state (``state`` is queued).

    Raises:
        ForbiddenError: the caller may not read or export ``entity``.
        BadRequestError: an unknown format, field or a bad filter.
    """
    plan = plan_export(runtime, call, entity, fmt, filter_text, fields, ids=ids)
    export_id = new_id()
    folder = job_folder(runtime.config, call.tenant, export_id)
    assert folder is not None
    now = runtime.clock.now()
    state: dict[str, Any] = {
        "id": export_id,
        "entity": entity.name,
        "format": plan.format,
        "filter": filter_text,
        "fields": fields,
        "ids": ids,
        "user_id": call.identity.user_id,
        "state": "queued",
        "rows": None,
        "file_name": plan.filename,
        "message": None,
        "created_at": now.isoformat(),
        "finished_at": None,
        "expires_at": None,
    }
    save_state(folder, state)
    outbox = call.app.metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        conn.execute(
            outbox.insert().values(
                kind=JOB_KIND,
                payload={"export_id": export_id},
                created_at=now,
                state="pending",
            )
        )
        mark_outbox_write(conn)
    return state


def export_file(folder: Any, state: dict[str, Any]) -> Any:
    """The finished file of an export job."""
    return folder / f"export.{state['format']}"


def run_export_job(
    runtime: Runtime,
    call_of: Callable[[str, int | None], Call | None],
    tenant: str,
    payload: dict[str, Any],
) -> None:
    """Write the file of the queued export ``payload["export_id"]`` of ``tenant``."""
    folder = job_folder(runtime.config, tenant, str(payload.get("export_id", "")))
    state = load_state(folder)
    if folder is None or state is None or state["state"] not in ("queued", "running"):
        return
    update_state(folder, state="running")
    call = call_of(tenant, state["user_id"])
    entity = None if call is None else call.app.entities.get(state["entity"])
    if call is None or entity is None:
        _finish(
            runtime,
            folder,
            "failed",
            message=Translatable("The member who asked or the entity is gone."),
        )
        return
    try:
        plan = plan_export(runtime, call, entity, state["format"], state["filter"],
                           state["fields"], ids=bool(state["ids"]))  # fmt: skip
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as sink:
                rows = run_export(runtime, call, plan, sink)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(temp, export_file(folder, state))
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except RecordError as exc:  # the member lost the right, or a field went away
        _finish(runtime, folder, "failed", message=exc.message)
        return
    _finish(runtime, folder, "done", rows=rows)


def _finish(runtime: Runtime, folder: Any, state: str, **changes: Any) -> None:
    now = runtime.clock.now()
    update_state(
        folder,
        state=state,
        finished_at=now.isoformat(),
        expires_at=(now + EXPIRY).isoformat(),
        **changes,
    )


__all__ = ["EXPIRY", "JOB_KIND", "export_file", "run_export_job", "start_export"]
