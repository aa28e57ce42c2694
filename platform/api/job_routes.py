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

from trellis.platform.api.requests import parse_id
from trellis.platform.api.serialize import encode
from trellis.platform.api.tenant_api import Call, TenantApi
from trellis.platform.jobs import STATES, Outbox
from trellis.platform.records.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
)
from trellis.tenants.registry import utcnow

JSON = "application/json"
MAX_LIMIT = 500


def _limit(raw: str | None) -> int:
    if raw is None:
        return 50
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequestError(f"Parameter 'limit' has value '{raw}'. Use 1 to {MAX_LIMIT}.")
    return int(raw)


def _admin(call: Call) -> Outbox:
    call.access.require_admin("see and manage jobs")
    return Outbox(call.app.metadata)


def change_job(api: TenantApi, call: Call, raw_id: str, action: str) -> dict[str, Any]:
    """Retry or discard job ``raw_id`` as a tenant admin (also used by the admin screen).

    Raises:
        ForbiddenError: the caller is not a tenant admin.
        BadRequestError / NotFoundError: the id is not valid, or no such job.
        ConflictError: the job's state does not allow the action.
    """
    outbox = _admin(call)
    job_id = parse_id("job", raw_id)
    engines = api.runtime.engines
    with engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        job = outbox.get(conn, job_id)
        if job is None:
            raise NotFoundError(f"No job with id {job_id}.")
        run = outbox.retry if action == "retry" else outbox.discard
        if not run(conn, job_id, utcnow()):
            verb = "retried" if action == "retry" else "discarded"
            raise ConflictError(f"Job {job_id} is {job['state']}; it cannot be {verb}.")
        job = outbox.get(conn, job_id)
    if job is None:
        raise NotFoundError(f"No job with id {job_id}.")
    return job


def job_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The job route handlers over ``api``."""

    def change(call: Call, raw_id: str, action: str) -> Response[bytes]:
        job = change_job(api, call, raw_id, action)
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


__all__ = ["change_job", "job_routes"]
