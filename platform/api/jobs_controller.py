"""Job routes for tenant admins (DESIGN.md §13).

``GET /t/{t}/api/_jobs?state=dead&limit=`` lists outbox jobs, newest first;
``POST /t/{t}/api/_jobs/{id}/retry`` queues a job again with fresh tries;
``POST /t/{t}/api/_jobs/{id}/discard`` gives up on a dead or pending job.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.jobs import STATES
from trellis.platform.jobs.admin import admin_outbox as _admin
from trellis.platform.jobs.admin import change_job
from trellis.platform.records.errors import BadRequestError


class JobsController(Controller):
    """``_jobs``: tenant admins only."""

    path = "/_jobs"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "see and manage jobs"}

    @get("/", sync_to_thread=True)
    def list_jobs(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        outbox = _admin(call)
        state = request.query_params.get("state") or None
        if state is not None and state not in STATES:
            raise BadRequestError(
                Translatable(
                    "Parameter '%(name)s' has value '%(value)s'. Use one of %(choices)s.",
                    name="state",
                    value=state,
                    choices=", ".join(STATES),
                )
            )
        limit = _limit(request.query_params.get("limit"))
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            items = outbox.list(conn, state, limit)
        return {"items": items, "count": len(items)}

    @post("/{job_id:str}/retry", status_code=200, sync_to_thread=True)
    def retry_job(
        self, services: AppServices, call: Caller, job_id: FromPath[str]
    ) -> dict[str, Any]:
        return change_job(services.runtime, call, job_id, "retry")

    @post("/{job_id:str}/discard", status_code=200, sync_to_thread=True)
    def discard_job(
        self, services: AppServices, call: Caller, job_id: FromPath[str]
    ) -> dict[str, Any]:
        return change_job(services.runtime, call, job_id, "discard")


__all__ = ["JobsController"]
