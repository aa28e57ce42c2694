"""Record routes: list, create, bulk, form state, read, update and delete (DESIGN.md §7).

Each handler receives the services, the caller and the entity by injection
(``platform.api.deps``), refuses query parameters its operation ignores, calls the
records service and returns its value: Litestar encodes it as JSON, with the status and
headers (``ETag``, ``Idempotent-Replayed``) a :func:`record_response` sets. Errors are
raised as the domain errors the API router's exception handlers answer (errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import AppServices, Caller, Target
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
from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.ids import parse_id
from trellis.platform.services import IdempotencyKey, ListArgs, Page, RecordBody, Services
from trellis.platform.services.form_state import labelled_form
from trellis.platform.services.history import parse_as_of
from trellis.platform.services.list_as_of import page_as_of

Req = Request[Any, Any, Any]
Json = dict[str, Any]


def record_response(status: int, body: RecordBody) -> Response[Json]:
    """One record with its ``ETag``; a replayed create is 201 with ``Idempotent-Replayed``."""
    if body.replayed:
        return Response(body.record, status_code=201, headers={"Idempotent-Replayed": "true"})
    return Response(body.record, status_code=status, headers={"ETag": f'"{body.version}"'})


def list_page(
    services: Services, call: Call, entity: CompiledEntity, params: Mapping[str, str]
) -> Page:
    """One list page: filter, sort, keyset cursor and fields (``as_of``: as the records
    were at that moment, rebuilt from their history)."""
    as_of = params.get("as_of")
    if as_of is not None:
        return page_as_of(services.records, call, entity, ListArgs.of(params), parse_as_of(as_of))
    return services.records.page(call, entity, ListArgs.of(params))


class RecordsController(Controller):
    """``/t/{t}/api/{entity}`` and ``/t/{t}/api/{entity}/{id}``."""

    path = "/{entity:str}"

    @get("/", sync_to_thread=True)
    def list_records(
        self, request: Req, services: AppServices, call: Caller, target: Target
    ) -> Json:
        check_query_params(request.query_params, LIST_PARAMS)
        return list_page(services, call, target, request.query_params).as_json()

    @post("/", sync_to_thread=True)
    def create_record(
        self, request: Req, services: AppServices, call: Caller, target: Target, body: RawBody
    ) -> Response[Json]:
        check_query_params(request.query_params, CREATE_PARAMS)
        key = idempotency_key(request.headers)
        data = parse_object(body)
        if dry_run(request.query_params):
            return Response(
                services.records.dry_run(call, target, data, None, None), status_code=200
            )
        allowed = allow_duplicate(request.query_params)
        idempotency = IdempotencyKey(key, body) if key else None
        saved = services.records.create(call, target, data, idempotency, allow_duplicate=allowed)
        return record_response(201, saved)

    @post("/bulk", status_code=200, sync_to_thread=True)
    def bulk_records(
        self, request: Req, services: AppServices, call: Caller, target: Target, body: RawBody
    ) -> Json:
        check_query_params(request.query_params, BULK_PARAMS)
        return services.records.bulk(call, target, parse_json(body))

    @post("/_form", status_code=200, sync_to_thread=True)
    def draft_form(
        self, request: Req, services: AppServices, call: Caller, target: Target, body: RawBody
    ) -> Json:
        check_query_params(request.query_params, FORM_PARAMS)
        locale = request_locale(request)
        data = parse_object(body)
        return {"fields": labelled_form(services.records, call, target, None, data, locale)}

    @get("/{record_id:str}/_form", sync_to_thread=True)
    def record_form(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> Json:
        check_query_params(request.query_params, FORM_PARAMS)
        ident = parse_id(target.name, record_id)
        locale = request_locale(request)
        return {"fields": labelled_form(services.records, call, target, ident, {}, locale)}

    @get("/{record_id:str}", sync_to_thread=True)
    def read_record(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> Response[Json]:
        check_query_params(request.query_params, READ_PARAMS)
        ident = parse_id(target.name, record_id)
        as_of = request.query_params.get("as_of")
        expand = request.query_params.get("expand")
        if as_of is None:
            return record_response(200, services.records.read(call, target, ident, expand))
        # As it was at ``as_of`` (RFC 3339); ``expand`` embeds the references' titles now.
        at = parse_as_of(as_of)
        found = services.history.as_of(call, target, ident, at)
        services.records.expand_record(call, target, found.record, expand)
        return record_response(200, found)

    @patch("/{record_id:str}", sync_to_thread=True)
    def update_record(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
        body: RawBody,
    ) -> Response[Json]:
        check_query_params(request.query_params, UPDATE_PARAMS)
        ident = parse_id(target.name, record_id)
        data = parse_object(body)
        version = requested_version(request.headers.get("if-match"), data)
        if dry_run(request.query_params):
            return Response(services.records.dry_run(call, target, data, ident, version))
        allowed = allow_duplicate(request.query_params)
        saved = services.records.update(call, target, ident, data, version, allow_duplicate=allowed)
        return record_response(200, saved)

    @delete("/{record_id:str}", status_code=204, sync_to_thread=True)
    def delete_record(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> None:
        check_query_params(request.query_params, DELETE_PARAMS)
        expected = parse_if_match(request.headers.get("if-match"))
        services.records.delete(call, target, parse_id(target.name, record_id), expected)


__all__ = ["RecordsController", "list_page", "record_response"]
