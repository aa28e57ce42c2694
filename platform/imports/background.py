"""Imports as background jobs: an upload becomes a queued import and an outbox row.

``start_upload`` checks the uploaded file (refused at once, before anything is
queued), records the import and queues an ``import`` outbox job in one transaction.
``run_import_job`` is that job's handler: it claims the import (so a second worker
that claims the same job after a lease runs out does nothing while the first one is
still busy), runs it to the end and keeps the error report beside the file. A worker
that dies mid-way leaves the job to be retried, which resumes after the last
committed batch.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.session import (
    RUNNABLE,
    ImportPlan,
    import_row,
    new_import,
    open_import,
    run_import,
)
from trellis.platform.imports.store import (
    CANCELLED,
    CANCELLING,
    imports_table,
    load_import,
    set_state,
)
from trellis.platform.records.compiled import CompiledEntity

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

JOB_KIND = "import"
#: A running import whose progress is older than this is taken to be abandoned.
STALE = timedelta(minutes=10)
#: Largest import upload.
MAX_IMPORT_BYTES = 512 << 20


def import_folder(runtime: Runtime, tenant: str, import_id: int) -> Path:
    """Where an import's file and error report live."""
    return runtime.config.data_dir / "imports" / tenant / str(import_id)


def source_file(folder: Path) -> Path | None:
    """The uploaded file in an import's folder (None when gone)."""
    found = list(folder.glob("source.*")) if folder.exists() else []
    return found[0] if found else None


def errors_file(runtime: Runtime, tenant: str, import_id: int) -> Path:
    """The error report of a background import."""
    return import_folder(runtime, tenant, import_id) / "errors.csv"


def start_upload(
    runtime: Runtime,
    call: Call,
    entity: CompiledEntity,
    upload: Path,
    file_name: str,
    plan: ImportPlan,
) -> int:
    """Check ``upload`` (moved, not copied), queue its import; returns the import's id.

    Raises:
        ForbiddenError: the caller may not import into ``entity``.
        ImportRefusedError: the file, map or options cannot be imported.
    """
    source, _map = open_import(call, entity, upload, plan)
    kind = source.kind
    source.close()
    import_id = new_import(runtime, call, entity, file_name, plan)
    folder = import_folder(runtime, call.tenant, import_id)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.move(str(upload), folder / f"source.{kind}")
    outbox = call.app.metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        conn.execute(
            outbox.insert().values(
                kind=JOB_KIND,
                payload={"import_id": import_id},
                created_at=runtime.clock.now(),
                state="pending",
            )
        )
        mark_outbox_write(conn)
    return import_id


def claim(runtime: Runtime, call: Call, import_id: int) -> bool:
    """Mark the import running unless another worker runs it now; True when claimed."""
    t = imports_table(call.app.metadata)
    now = runtime.clock.now()
    free = sa.or_(
        t.c.state.in_(sorted(RUNNABLE - {"running"})),
        sa.and_(t.c.state == "running", t.c.updated_at < now - STALE),
    )
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        done = conn.execute(
            t.update().where(t.c.id == import_id, free).values(state="running", updated_at=now)
        )
    return bool(done.rowcount)


def run_import_job(runtime: Runtime, call_of: Any, tenant: str, payload: dict[str, Any]) -> None:
    """Run the queued import ``payload["import_id"]`` of ``tenant`` as the member who started it.

    ``call_of(tenant, user_id)`` builds that member's call (None: no longer a member,
    and the import fails with that reason).
    """
    import_id = int(payload["import_id"])
    rt = runtime.app_runtime(tenant)
    with runtime.engines.tenant_connection(tenant) as conn:
        row = load_import(conn, rt.app.metadata, import_id)
    if row is not None and row["state"] == CANCELLING:  # asked to stop, and no run is left
        _fail(runtime, rt.app.metadata, tenant, import_id, row["message"], state=CANCELLED)
        return
    if row is None or row["state"] not in RUNNABLE:
        return
    call = call_of(tenant, row["user_id"])
    if call is None:
        _fail(runtime, rt.app.metadata, tenant, import_id, "The member who started it left.")
        return
    if not claim(runtime, call, import_id):
        return
    folder = import_folder(runtime, tenant, import_id)
    source = source_file(folder)
    entity = call.app.entities.get(row["entity"])
    if source is None or entity is None:
        _fail(runtime, call.app.metadata, tenant, import_id, "The file or the entity is gone.")
        return
    plan = ImportPlan.from_row(import_row(runtime, call, import_id))
    try:
        run_import(runtime, call, entity, source, plan, import_id=import_id,
                   errors_path=folder / "errors.csv")  # fmt: skip
    except ImportRefusedError:
        return  # recorded on the import (failed, with the reason); retrying cannot help


def _fail(
    runtime: Runtime,
    metadata: sa.MetaData,
    tenant: str,
    import_id: int,
    why: str,
    *,
    state: str = "failed",
) -> None:
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        set_state(conn, metadata, import_id, state, runtime.clock.now(), message=why,
                  finished=True)  # fmt: skip


__all__ = [
    "JOB_KIND",
    "MAX_IMPORT_BYTES",
    "claim",
    "errors_file",
    "import_folder",
    "run_import_job",
    "source_file",
    "start_upload",
]
