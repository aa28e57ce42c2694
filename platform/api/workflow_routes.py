"""Workflow routes: run, approve, reject and list the transitions of a record.

``POST /t/{t}/api/{entity}/{id}/transitions/{name}`` takes an optional JSON object of
field values set along with the transition (``version`` or ``If-Match`` for the
optimistic lock) and answers the saved record, or 202 with the pending approval.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.requests import parse_object, requested_version
from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON, encode, record_json
from trellis.platform.workflows import TransitionResult

RECORD_PATH = "/t/{tenant:str}/api/{entity:str}/{record_id:str}"


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=encode(body), status_code=status, media_type=JSON, headers=headers)


def _record_answer(call: Call, entity: CompiledEntity, result: TransitionResult) -> Response[bytes]:
    record = record_json(entity, result.record, call.access.entity(entity.name).columns)
    approval = result.approval
    if approval is None or approval.status == "approved":
        return _json(200, record, {"ETag": f'"{result.record["version"]}"'})
    status = 202 if approval.status == "pending" else 200
    return _json(
        status, {"status": approval.status, "approval": approval.as_json(), "record": record}
    )


def workflow_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The workflow route handlers over ``api`` (authentication, tenants, entities)."""
    ops = api.services.workflows

    def target(
        request: Request[Any, Any, Any], tenant: str, entity: str, record_id: str
    ) -> tuple[Call, CompiledEntity, int]:
        """Authenticate, find the entity (404/403) and parse the record id."""
        call, found = api.target(tenant, request.headers.get("authorization"), entity)
        return call, found, parse_id(entity, record_id)

    @post(f"{RECORD_PATH}/transitions/{{name:str}}", sync_to_thread=True)
    def run_transition(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
        body: RawBody,
    ) -> Response[bytes]:
        call, found, ident = target(request, tenant, entity, record_id)
        data = parse_object(body) if body.strip() else {}
        version = requested_version(request.headers.get("if-match"), data)
        result = ops.run(call, found, ident, name, data, version)
        return _record_answer(call, found, result)

    @post(f"{RECORD_PATH}/transitions/{{name:str}}/approve", sync_to_thread=True)
    def approve_transition(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[bytes]:
        call, found, ident = target(request, tenant, entity, record_id)
        result = ops.approve(call, found, ident, name)
        return _record_answer(call, found, result)

    @post(f"{RECORD_PATH}/transitions/{{name:str}}/reject", sync_to_thread=True)
    def reject_transition(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[bytes]:
        call, found, ident = target(request, tenant, entity, record_id)
        result = ops.reject(call, found, ident, name)
        return _record_answer(call, found, result)

    @get(f"{RECORD_PATH}/transitions", sync_to_thread=True)
    def list_transitions(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[bytes]:
        call, found, ident = target(request, tenant, entity, record_id)
        body = ops.available(call, found, ident)
        return _json(200, body)

    return [run_transition, approve_transition, reject_transition, list_transitions]


__all__ = ["workflow_routes"]
