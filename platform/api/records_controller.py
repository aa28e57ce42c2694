"""Record routes: list, create, bulk, form state, read, update and delete (DESIGN.md §7).

Each handler receives the caller and the entity by injection (``platform.api.deps``),
refuses query parameters its operation ignores, and calls ``TenantApi``.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import Api, Caller, Target
from trellis.platform.api.params import (
    BULK_PARAMS,
    CREATE_PARAMS,
    DELETE_PARAMS,
    FORM_PARAMS,
    LIST_PARAMS,
    READ_PARAMS,
    UPDATE_PARAMS,
    allow_duplicate,
    dry_run,
    idempotency_key,
)
from trellis.platform.api.requests import (
    check_query_params,
    parse_if_match,
    parse_json,
    parse_object,
    request_locale,
    requested_version,
)
from trellis.platform.api.tenant_api import ApiResult
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON

Req = Request[Any, Any, Any]


def respond(result: ApiResult) -> Response[bytes]:
    """An ``ApiResult`` as a JSON response."""
    return Response(
        content=result.body or b"",
        status_code=result.status,
        media_type=JSON,
        headers=dict(result.headers),
    )


class RecordsController(Controller):
    """``/t/{t}/api/{entity}`` and ``/t/{t}/api/{entity}/{id}``."""

    path = "/{entity:str}"

    @get("/", sync_to_thread=True)
    def list_records(self, request: Req, api: Api, call: Caller, target: Target) -> Response[bytes]:
        check_query_params(request.query_params, LIST_PARAMS)
        return respond(api.list_records(call, target, request.query_params))

    @post("/", sync_to_thread=True)
    def create_record(
        self, request: Req, api: Api, call: Caller, target: Target, body: RawBody
    ) -> Response[bytes]:
        check_query_params(request.query_params, CREATE_PARAMS)
        key = idempotency_key(request.headers)
        data = parse_object(body)
        if dry_run(request.query_params):
            return respond(api.dry_run(call, target, data, None, None))
        allowed = allow_duplicate(request.query_params)
        return respond(api.create(call, target, data, key, body, allow_duplicate=allowed))

    @post("/bulk", sync_to_thread=True)
    def bulk_records(
        self, request: Req, api: Api, call: Caller, target: Target, body: RawBody
    ) -> Response[bytes]:
        check_query_params(request.query_params, BULK_PARAMS)
        return respond(api.bulk(call, target, parse_json(body)))

    @post("/_form", status_code=200, sync_to_thread=True)
    def draft_form(
        self, request: Req, api: Api, call: Caller, target: Target, body: RawBody
    ) -> Response[bytes]:
        check_query_params(request.query_params, FORM_PARAMS)
        locale = request_locale(request)
        return respond(api.form(call, target, None, parse_object(body), locale))

    @get("/{record_id:str}/_form", sync_to_thread=True)
    def record_form(
        self, request: Req, api: Api, call: Caller, target: Target, record_id: FromPath[str]
    ) -> Response[bytes]:
        check_query_params(request.query_params, FORM_PARAMS)
        ident = parse_id(target.name, record_id)
        return respond(api.form(call, target, ident, {}, request_locale(request)))

    @get("/{record_id:str}", sync_to_thread=True)
    def read_record(
        self, request: Req, api: Api, call: Caller, target: Target, record_id: FromPath[str]
    ) -> Response[bytes]:
        check_query_params(request.query_params, READ_PARAMS)
        ident = parse_id(target.name, record_id)
        as_of = request.query_params.get("as_of")
        expand = request.query_params.get("expand")
        if as_of is not None:
            return respond(api.read_as_of(call, target, ident, as_of, expand))
        return respond(api.read(call, target, ident, expand))

    @patch("/{record_id:str}", sync_to_thread=True)
    def update_record(
        self,
        request: Req,
        api: Api,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        body: RawBody,
    ) -> Response[bytes]:
        check_query_params(request.query_params, UPDATE_PARAMS)
        ident = parse_id(target.name, record_id)
        data = parse_object(body)
        version = requested_version(request.headers.get("if-match"), data)
        if dry_run(request.query_params):
            return respond(api.dry_run(call, target, data, ident, version))
        allowed = allow_duplicate(request.query_params)
        return respond(api.update(call, target, ident, data, version, allow_duplicate=allowed))

    @delete("/{record_id:str}", status_code=204, sync_to_thread=True)
    def delete_record(
        self, request: Req, api: Api, call: Caller, target: Target, record_id: FromPath[str]
    ) -> None:
        check_query_params(request.query_params, DELETE_PARAMS)
        expected = parse_if_match(request.headers.get("if-match"))
        api.delete(call, target, parse_id(target.name, record_id), expected)


__all__ = ["RecordsController", "respond"]
