"""A tenant admin's hand on the outbox: retry or discard one job.

The API (``POST /t/{t}/api/_jobs/{id}/retry|discard``) and the admin jobs page both
call :func:`change_job`, so they refuse and answer alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.authz.call import Call
from trellis.platform.jobs.outbox import Outbox
from trellis.platform.records.errors import ConflictError, NotFoundError
from trellis.platform.records.ids import parse_id

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def admin_outbox(call: Call) -> Outbox:
    """The outbox of the caller's tenant; 403 unless the caller is a tenant admin."""
    call.access.require_admin("see and manage jobs")
    return Outbox(call.app.metadata)


def change_job(runtime: Runtime, call: Call, raw_id: str, action: str) -> dict[str, Any]:
    """Retry (``action`` "retry") or discard job ``raw_id`` as a tenant admin; the job after.

    Raises:
        ForbiddenError: the caller is not a tenant admin.
        NotFoundError: the id is not valid, or no such job.
        ConflictError: the job's state does not allow the action.
    """
    outbox = admin_outbox(call)
    job_id = parse_id("job", raw_id)
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        job = outbox.get(conn, job_id)
        if job is None:
            raise NotFoundError(f"No job with id {job_id}.")
        run = outbox.retry if action == "retry" else outbox.discard
        if not run(conn, job_id, runtime.clock.now()):
            verb = "retried" if action == "retry" else "discarded"
            raise ConflictError(f"Job {job_id} is {job['state']}; it cannot be {verb}.")
        job = outbox.get(conn, job_id)
    if job is None:
        raise NotFoundError(f"No job with id {job_id}.")
    return job


__all__ = ["admin_outbox", "change_job"]
