"""Job routes for tenant admins (DESIGN.md §13).

``GET /t/{t}/api/_jobs?state=dead&limit=`` lists outbox jobs, newest first;
``POST /t/{t}/api/_jobs/{id}/retry`` queues a job again with fresh tries;
``POST /t/{t}/api/_jobs/{id}/discard`` gives up on a dead or pending job.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, Api, Caller, admin_only
from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.authz.call import Call
from trellis.platform.jobs import STATES
from trellis.platform.jobs.admin import admin_outbox as _admin
from trellis.platform.jobs.admin import change_job
from trellis.platform.records.errors import (
    BadRequestError,
)
from trellis.platform.records.views import JSON, encode


def _change(api: TenantApi, call: Call, raw_id: str, action: str) -> Response[bytes]:
    job = change_job(api.runtime, call, raw_id, action)
    return Response(content=encode(job), status_code=200, media_type=JSON)


class JobsController(Controller):
    """``_jobs``: tenant admins only."""

    path = "/_jobs"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "see and manage jobs"}

    @get("/", sync_to_thread=True)
    def list_jobs(self, request: Request[Any, Any, Any], api: Api, call: Caller) -> Response[bytes]:
        outbox = _admin(call)
        state = request.query_params.get("state") or None
        if state is not None and state not in STATES:
            raise BadRequestError(
                f"Parameter 'state' has value '{state}'. Use one of {', '.join(STATES)}."
            )
        limit = _limit(request.query_params.get("limit"))
        with api.runtime.engines.tenant_connection(call.tenant) as conn:
            items = outbox.list(conn, state, limit)
        body = {"items": items, "count": len(items)}
        return Response(content=encode(body), status_code=200, media_type=JSON)

    @post("/{job_id:str}/retry", status_code=200, sync_to_thread=True)
    def retry_job(self, api: Api, call: Caller, job_id: FromPath[str]) -> Response[bytes]:
        return _change(api, call, job_id, "retry")

    @post("/{job_id:str}/discard", status_code=200, sync_to_thread=True)
    def discard_job(self, api: Api, call: Caller, job_id: FromPath[str]) -> Response[bytes]:
        return _change(api, call, job_id, "discard")


__all__ = ["JobsController"]
