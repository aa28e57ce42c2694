"""The admin jobs page: ``/t/{t}/admin/jobs`` (tenant admins only, 403 otherwise).

Counts of queued, failing (waiting for a retry), running, scheduled and dead jobs,
the dead-letter list with each job's last error and retry/discard buttons, and the
latest e-mail and webhook deliveries. Retry and discard go through the same
function as ``POST /t/{t}/api/_jobs/{id}/retry|discard``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.jobs import Outbox
from trellis.platform.jobs.admin import change_job
from trellis.platform.jobs.deliveries import list_deliveries
from trellis.platform.jobs.dispatcher import tenant_job_counts
from trellis.platform.jobs.outbox import DEAD, PENDING
from trellis.platform.records.errors import ConflictError, ForbiddenError
from trellis.ui.screens.web import UiCall, UiServices, page, redirect, signed_in

#: Dead jobs and deliveries shown on the page.
DEAD_SHOWN = 50
DELIVERIES_SHOWN = 10
COUNTED = ("queued", "failing", "running", "scheduled", "dead")


def _admin(services: UiServices, request: Request[Any, Any, Any], tenant: str) -> UiCall:
    ui = signed_in(services, request, tenant)
    if not ui.call.access.admin:
        raise ForbiddenError(ui.translator.gettext("Only tenant admins may see and manage jobs."))
    return ui


def job_overview(conn: sa.Connection, ui: UiCall) -> dict[str, Any]:
    """Counts, dead letters and recent deliveries of the caller's tenant."""
    app = ui.call.app
    outbox = Outbox(app.metadata)
    by_state = tenant_job_counts(app, conn)
    t = outbox.table
    failing = int(
        conn.execute(
            sa.select(sa.func.count()).where(t.c.state == PENDING, t.c.attempts > 0)
        ).scalar()
        or 0
    )
    counts = {
        "queued": by_state.get(PENDING, 0) - failing,
        "failing": failing,
        "running": by_state.get("running", 0),
        "scheduled": by_state.get("scheduled", 0),
        "dead": by_state.get(DEAD, 0),
    }
    return {
        "counts": [(name, counts[name]) for name in COUNTED],
        "done": by_state.get("done", 0),
        "discarded": by_state.get("discarded", 0),
        "dead_jobs": outbox.list(conn, DEAD, DEAD_SHOWN),
        "emails": list_deliveries(conn, app.metadata, "email", limit=DELIVERIES_SHOWN),
        "webhooks": list_deliveries(conn, app.metadata, "webhook", limit=DELIVERIES_SHOWN),
    }


def admin_job_routes(services: UiServices) -> list[Any]:
    """Route handlers of the admin jobs page."""

    @get("/t/{tenant:str}/admin/jobs", sync_to_thread=True)
    def jobs_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = _admin(services, request, tenant)
        with services.runtime.engines.tenant_connection(tenant) as conn:
            ctx = job_overview(conn, ui)
        return page(request, ui, "admin_jobs.html", ctx)

    def change(
        request: Request[Any, Any, Any], tenant: str, job_id: str, action: str
    ) -> Response[Any]:
        ui = _admin(services, request, tenant)
        back = f"/t/{tenant}/admin/jobs"
        try:
            job = change_job(services.runtime, ui.call, job_id, action)
        except ConflictError as exc:
            return redirect(request, back, flash=ui.translator.message(exc.message))
        t, ident = ui.translator, job["id"]
        # The kind as the jobs table shows it (an unknown kind stays as stored).
        kind = t.pgettext("job kind", str(job["kind"]))
        if action == "retry":
            done = t.gettext("Job %(id)s (%(kind)s) queued again.", id=ident, kind=kind)
        else:
            done = t.gettext("Job %(id)s (%(kind)s) discarded.", id=ident, kind=kind)
        return redirect(request, back, flash=done)

    @post("/t/{tenant:str}/admin/jobs/{job_id:str}/retry", status_code=200, sync_to_thread=True)
    def retry(
        request: Request[Any, Any, Any], tenant: FromPath[str], job_id: FromPath[str]
    ) -> Response[Any]:
        return change(request, tenant, job_id, "retry")

    @post("/t/{tenant:str}/admin/jobs/{job_id:str}/discard", status_code=200, sync_to_thread=True)
    def discard(
        request: Request[Any, Any, Any], tenant: FromPath[str], job_id: FromPath[str]
    ) -> Response[Any]:
        return change(request, tenant, job_id, "discard")

    return [jobs_page, retry, discard]


__all__ = ["admin_job_routes", "job_overview"]
