"""Job routes for tenant admins (DESIGN.md §13).

``GET /t/{t}/api/_jobs?state=dead&limit=`` lists outbox jobs, newest first;
``POST /t/{t}/api/_jobs/{id}/retry`` queues a job again with fresh tries;
``POST /t/{t}/api/_jobs/{id}/discard`` gives up on a dead or pending job.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath  # type: ignore[attr-defined]

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


def job_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The job route handlers over ``api``."""

    def change(call: Call, raw_id: str, action: str) -> Response[bytes]:
        job = change_job(api.runtime, call, raw_id, action)
        return Response(content=encode(job), status_code=200, media_type=JSON)

    @get("/t/{tenant:str}/api/_jobs", sync_to_thread=True)
    def list_jobs(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
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

    @post("/t/{tenant:str}/api/_jobs/{job_id:str}/retry", status_code=200, sync_to_thread=True)
    def retry_job(
        request: Request[Any, Any, Any], tenant: FromPath[str], job_id: FromPath[str]
    ) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        return change(call, job_id, "retry")

    @post("/t/{tenant:str}/api/_jobs/{job_id:str}/discard", status_code=200, sync_to_thread=True)
    def discard_job(
        request: Request[Any, Any, Any], tenant: FromPath[str], job_id: FromPath[str]
    ) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        return change(call, job_id, "discard")

    return [list_jobs, retry_job, discard_job]


__all__ = ["job_routes"]
