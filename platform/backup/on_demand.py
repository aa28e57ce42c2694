"""Backups a tenant admin asks for: ``start_backup`` queues one, the ``backup`` job writes it.

A tenant has at most one asked-for backup queued or running: under the tenant's
``flock`` guard (threads and processes alike), ``start_backup`` points the lock file
``<data dir>/backups/<tenant>/.jobs/running`` at its job unless it names one still
queued or running, and refuses then with ``ConflictError`` naming it; the job frees the
lock when it ends, done or failed. Each job's state is ``.jobs/<id>.json``,
rewritten whole. The archive lands in the folder of scheduled backups under the same
name form (``<tenant>-<UTC time>.zip``), so the list, the admin page and the downloads
see it; it is audited as ``tenant.backup`` with the admin who asked.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.backup.scheduled import AUDIT_ACTION, backup_dir
from trellis.platform.backup.writer import write_backup
from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.exports.store import new_id, write_atomically
from trellis.platform.records.errors import ConflictError
from trellis.platform.runtime import Runtime

LOG = logging.getLogger("trellis.backup")
JOB_KIND = "backup"
#: States of an asked-for backup; the first two hold the tenant's lock.
ACTIVE = ("queued", "running")
_LOCK = "running"


def jobs_dir(runtime: Runtime, tenant: str) -> Path:
    """``<data dir>/backups/<tenant>/.jobs``: the states of asked-for backups."""
    return backup_dir(runtime, tenant) / ".jobs"


def _state_path(runtime: Runtime, tenant: str, job_id: str) -> Path | None:
    if len(job_id) != 16 or not all(c in "0123456789abcdef" for c in job_id):
        return None
    return jobs_dir(runtime, tenant) / f"{job_id}.json"


def load_job(runtime: Runtime, tenant: str, job_id: str) -> dict[str, Any] | None:
    """The state of ``tenant``'s asked-for backup ``job_id``, or None."""
    path = _state_path(runtime, tenant, job_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path is not None else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _save(path: Path, state: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(state, sort_keys=True).encode())


def _update(path: Path, job: dict[str, Any], **changes: Any) -> None:
    job.update(changes)
    _save(path, job)


def running_job(runtime: Runtime, tenant: str) -> dict[str, Any] | None:
    """The tenant's asked-for backup that is queued or running, or None."""
    lock = jobs_dir(runtime, tenant) / _LOCK
    try:
        job_id = lock.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    state = load_job(runtime, tenant, job_id)
    return state if state is not None and state.get("state") in ACTIVE else None


@contextmanager
def _guard(runtime: Runtime, tenant: str) -> Iterator[Path]:
    """Hold the tenant's backup-job guard (``flock``: across threads and processes)."""
    folder = jobs_dir(runtime, tenant)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".guard", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield folder / _LOCK
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _take_lock(runtime: Runtime, tenant: str, job_id: str) -> dict[str, Any] | None:
    """Point the lock at ``job_id``; the job holding it instead, if one does."""
    with _guard(runtime, tenant) as lock:
        busy = running_job(runtime, tenant)
        if busy is not None:
            return busy
        write_atomically(lock, job_id.encode())
        return None


def _free_lock(runtime: Runtime, tenant: str, job_id: str) -> None:
    with _guard(runtime, tenant) as lock:
        try:
            if lock.read_text(encoding="utf-8").strip() == job_id:
                lock.unlink(missing_ok=True)
        except OSError:
            return


def start_backup(runtime: Runtime, tenant: str, user_id: int | None, email: str) -> dict[str, Any]:
    """Queue a backup of ``tenant`` asked for by an admin; its state (``queued``).

    Raises:
        ConflictError: another asked-for backup of the tenant is queued or running.
    """
    job_id = new_id()
    now = runtime.clock.now()
    state: dict[str, Any] = {
        "id": job_id,
        "state": "queued",
        "name": None,
        "size": None,
        "user_id": user_id,
        "requested_by": email,
        "created_at": now.isoformat(),
        "finished_at": None,
        "message": None,
    }
    path = _state_path(runtime, tenant, job_id)
    assert path is not None  # new_id() gives 16 hex digits
    _save(path, state)  # before the lock points at it
    busy = _take_lock(runtime, tenant, job_id)
    if busy is not None:
        path.unlink(missing_ok=True)
        raise ConflictError(
            Translatable(
                "A backup of this tenant is already under way (%(id)s, asked for at "
                "%(at)s): wait until it is done, then start another.",
                id=busy["id"],
                at=busy["created_at"],
            ),
            running=busy["id"],
        )
    app = runtime.app(tenant)
    outbox = app.metadata.tables[OUTBOX_TABLE]
    try:
        with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            conn.execute(
                outbox.insert().values(
                    kind=JOB_KIND, payload={"backup_id": job_id}, created_at=now, state="pending"
                )
            )
            mark_outbox_write(conn)
    except BaseException:
        path.unlink(missing_ok=True)
        _free_lock(runtime, tenant, job_id)
        raise
    return state


def run_backup_job(runtime: Runtime, tenant: str, payload: dict[str, Any]) -> None:
    """Write the queued backup ``payload["backup_id"]`` of ``tenant``; frees the lock."""
    job_id = str(payload.get("backup_id", ""))
    path = _state_path(runtime, tenant, job_id)
    state = load_job(runtime, tenant, job_id)
    if path is None or state is None or state["state"] not in ACTIVE:
        return
    _update(path, state, state="running")
    now = runtime.clock.now()
    name = f"{tenant}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.zip"
    target = backup_dir(runtime, tenant) / name
    try:
        manifest = write_backup(runtime, tenant, target)
    except Exception as exc:  # any failure ends this job; the admin may start another
        LOG.warning("backup of %s failed: %s", tenant, exc)
        _update(
            path,
            state,
            state="failed",
            message=str(exc) or type(exc).__name__,
            finished_at=runtime.clock.now().isoformat(),
        )
        _free_lock(runtime, tenant, job_id)
        return
    _update(
        path,
        state,
        state="done",
        name=name,
        size=target.stat().st_size,
        finished_at=runtime.clock.now().isoformat(),
    )
    _free_lock(runtime, tenant, job_id)
    runtime.registry.audit.record(
        runtime.tenant(tenant).id,
        AUDIT_ACTION,
        actor=str(state.get("requested_by") or "api"),
        actor_user_id=state.get("user_id"),
        target=f"backup:{name}",
        detail={"entries": len(manifest.entries), "job": job_id},
    )


__all__ = ["JOB_KIND", "jobs_dir", "load_job", "run_backup_job", "running_job", "start_backup"]
