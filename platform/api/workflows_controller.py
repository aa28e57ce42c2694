"""Workflow routes: run, approve, reject and list the transitions of a record.

``POST /t/{t}/api/{entity}/{id}/transitions/{name}`` takes an optional JSON object of
field values set along with the transition (``version`` or ``If-Match`` for the
optimistic lock) and answers the saved record, or 202 with the pending approval.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import Caller, Target, Workflows
from trellis.platform.api.requests import parse_object, requested_version
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON, encode, record_json
from trellis.platform.workflows import TransitionResult


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


class WorkflowsController(Controller):
    """``/t/{t}/api/{entity}/{id}/transitions``: list, run, approve and reject."""

    path = "/{entity:str}/{record_id:str}/transitions"

    @get("/", sync_to_thread=True)
    def list_transitions(
        self, workflows: Workflows, call: Caller, target: Target, record_id: FromPath[str]
    ) -> Response[bytes]:
        ident = parse_id(target.name, record_id)
        return _json(200, workflows.available(call, target, ident))

    @post("/{name:str}", sync_to_thread=True)
    def run_transition(
        self,
        request: Request[Any, Any, Any],
        workflows: Workflows,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        name: FromPath[str],
        body: RawBody,
    ) -> Response[bytes]:
        ident = parse_id(target.name, record_id)
        data = parse_object(body) if body.strip() else {}
        version = requested_version(request.headers.get("if-match"), data)
        result = workflows.run(call, target, ident, name, data, version)
        return _record_answer(call, target, result)

    @post("/{name:str}/approve", sync_to_thread=True)
    def approve_transition(
        self,
        workflows: Workflows,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[bytes]:
        ident = parse_id(target.name, record_id)
        result = workflows.approve(call, target, ident, name)
        return _record_answer(call, target, result)

    @post("/{name:str}/reject", sync_to_thread=True)
    def reject_transition(
        self,
        workflows: Workflows,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[bytes]:
        ident = parse_id(target.name, record_id)
        result = workflows.reject(call, target, ident, name)
        return _record_answer(call, target, result)


__all__ = ["WorkflowsController"]
