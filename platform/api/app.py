"""The Litestar application: one generic handler per route of the tenant JSON API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Request, Response, Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]
from litestar.response import Redirect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from trellis.platform.api.comment_routes import comment_routes
from trellis.platform.api.hygiene import request_hygiene_middleware
from trellis.platform.api.job_routes import job_routes
from trellis.platform.api.member_routes import member_routes
from trellis.platform.api.notification_routes import notification_routes
from trellis.platform.api.options import options_handlers
from trellis.platform.api.params import (
    BULK_PARAMS,
    CREATE_PARAMS,
    DELETE_PARAMS,
    FORM_PARAMS,
    LIST_PARAMS,
    READ_PARAMS,
    UPDATE_PARAMS,
    dry_run,
    idempotency_key,
)
from trellis.platform.api.pipeline_routes import pipeline_routes
from trellis.platform.api.rate_limit import rate_counter, rate_limit_middleware
from trellis.platform.api.read_routes import read_routes
from trellis.platform.api.requests import (
    MAX_BODY_BYTES,
    check_query_params,
    parse_if_match,
    parse_json,
    parse_object,
    requested_version,
)
from trellis.platform.api.role_routes import role_routes
from trellis.platform.api.rule_routes import rule_routes
from trellis.platform.api.security_headers import security_headers
from trellis.platform.api.security_routes import client_ip_middleware, security_routes
from trellis.platform.api.tenant_api import ApiResult, TenantApi
from trellis.platform.api.workflow_routes import workflow_routes
from trellis.platform.authz.call import Call
from trellis.platform.config.version import __version__
from trellis.platform.db.outages import classify
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON, encode
from trellis.platform.runtime import Runtime
from trellis.platform.sessions.store import SessionStoreUnavailableError

LOG = logging.getLogger("trellis.api")


@dataclass(frozen=True)
class WebExtension:
    """Screens mounted beside the API (the ``ui`` layer provides one)."""

    route_handlers: Sequence[Any]
    template_config: Any = None
    csrf_config: Any = None
    #: Renders an error as an HTML page for screen paths (everything outside the API).
    error_page: Callable[[Request[Any, Any, Any], int, str], Response[Any]] | None = None
    exception_handlers: Mapping[Any, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)
    middleware: Sequence[Any] = ()
    #: Called when the app shuts down (before the runtime closes), e.g. to close stores.
    on_shutdown: Sequence[Callable[[], Any]] = ()
    #: The neutral page ``/`` shows browsers when no home tenant is configured.
    welcome_page: Callable[[Request[Any, Any, Any]], Response[Any]] | None = None


def _is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the JSON API (errors there are JSON, elsewhere HTML)."""
    return "/api/" in path or path in ("/", "/health")


def _html_error(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any] | None:
    """An HTML error page for screen paths when screens are mounted."""
    if _is_api_path(request.url.path):
        return None
    render = request.app.state.get("error_page")
    return render(request, status, message) if render is not None else None


def _respond(result: ApiResult) -> Response[bytes]:
    return Response(
        content=result.body or b"",
        status_code=result.status,
        media_type=JSON,
        headers=dict(result.headers),
    )


def _record_error(request: Request[Any, Any, Any], exc: RecordError) -> Response[Any]:
    page = _html_error(request, exc.status, str(exc))
    if page is not None:
        return page
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return Response(
        content=encode(exc.body()), status_code=exc.status, media_type=JSON, headers=headers
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    page = _html_error(request, exc.status_code, str(exc.detail))
    if page is not None:
        return page
    body = {"errors": {"__all__": [str(exc.detail)]}}
    return Response(
        content=encode(body),
        status_code=exc.status_code,
        media_type=JSON,
        headers=exc.headers or {},
    )


def _integrity_error(_request: Request[Any, Any, Any], exc: IntegrityError) -> Response[bytes]:
    LOG.info("integrity error: %s", exc.orig)
    body = {
        "errors": {
            "__all__": [
                "The change conflicts with another record saved at the same time (a unique value "
                "or a repeated request); nothing was saved. Try again."
            ]
        }
    }
    return Response(content=encode(body), status_code=409, media_type=JSON)


def _database_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A locked, unreachable or full database, or no session store: 503/507, else 500.

    The table is platform/db/outages.py; screens get the same status as an HTML page.
    """
    outage = classify(exc)
    if outage is None:
        return _server_error(request, exc)
    LOG.warning("outage, %s (%s %s): %s", outage.kind, request.method, request.url.path, exc)
    page = _html_error(request, outage.status, outage.message)
    if page is not None:
        page.headers.update(outage.headers())
        return page
    return Response(
        content=encode(outage.body()),
        status_code=outage.status,
        media_type=JSON,
        headers=outage.headers(),
    )


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    LOG.exception("unhandled error", exc_info=exc)
    page = _html_error(request, 500, "Something went wrong on the server; nothing was saved.")
    if page is not None:
        return page
    body = {"errors": {"__all__": ["Something went wrong on the server; nothing was saved."]}}
    return Response(content=encode(body), status_code=500, media_type=JSON)


def create_app(
    runtime: Runtime,
    *,
    debug: bool = False,
    extension: Callable[[TenantApi], WebExtension] | None = None,
    hardening: bool = True,
) -> Litestar:
    """Build the web application over ``runtime``, with the screens of ``extension``.

    ``hardening=False`` leaves out the rate limits and the security headers; it exists only
    so ``bench/bench_hardening.py`` can measure what they cost. Never serve such an app.
    """
    api = TenantApi(runtime)
    web = extension(api) if extension is not None else WebExtension(route_handlers=())
    counter, close_counter = rate_counter(runtime.config)
    limits = {"token": runtime.config.rate_limit_token, "ip": runtime.config.rate_limit_ip}

    def record_target(
        request: Request[Any, Any, Any],
        tenant: str,
        entity: str,
        params: frozenset[str] = FORM_PARAMS,
    ) -> tuple[Call, CompiledEntity]:
        """Authenticate, find the entity, then refuse query parameters the route ignores."""
        found = api.target(tenant, request.headers.get("authorization"), entity)
        check_query_params(request.query_params, params)
        return found

    @get("/", sync_to_thread=False)
    def index(request: Request[Any, Any, Any]) -> Any:
        """Neutral: tenant names are customer names, so none is listed or picked here."""
        wants_html = "text/html" in request.headers.get("accept", "")
        if wants_html and web.welcome_page is not None:
            home = runtime.config.home_tenant
            if home is not None:
                return Redirect(path=f"/t/{home}/login", status_code=303)
            return web.welcome_page(request)
        return {
            "name": "Trellis",
            "version": __version__,
            "api": "/t/{tenant}/api/{entity}",
            "openapi": "/t/{tenant}/api/openapi.json",
        }

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/t/{tenant:str}/api/openapi.json", sync_to_thread=True)
    def openapi(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        return _respond(api.openapi(call))

    @post("/t/{tenant:str}/api/_check", status_code=200, sync_to_thread=True)
    def check_expression(
        request: Request[Any, Any, Any], tenant: FromPath[str], body: RawBody
    ) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        return _respond(api.check(call, parse_object(body)))

    @get("/t/{tenant:str}/api/{entity:str}", sync_to_thread=True)
    def list_records(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity, LIST_PARAMS)
        return _respond(api.list_records(call, target, request.query_params))

    @post("/t/{tenant:str}/api/{entity:str}", sync_to_thread=True)
    def create_record(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str], body: RawBody
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity, CREATE_PARAMS)
        key = idempotency_key(request.headers)
        data = parse_object(body)
        if dry_run(request.query_params):
            return _respond(api.dry_run(call, target, data, None, None))
        return _respond(api.create(call, target, data, key, body))

    @post("/t/{tenant:str}/api/{entity:str}/bulk", sync_to_thread=True)
    def bulk_records(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str], body: RawBody
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity, BULK_PARAMS)
        return _respond(api.bulk(call, target, parse_json(body)))

    @post("/t/{tenant:str}/api/{entity:str}/_form", status_code=200, sync_to_thread=True)
    def draft_form(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str], body: RawBody
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity)
        return _respond(api.form(call, target, None, parse_object(body)))

    @get("/t/{tenant:str}/api/{entity:str}/{record_id:str}/_form", sync_to_thread=True)
    def record_form(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity)
        return _respond(api.form(call, target, parse_id(entity, record_id), {}))

    @get("/t/{tenant:str}/api/{entity:str}/{record_id:str}", sync_to_thread=True)
    def read_record(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity, READ_PARAMS)
        ident = parse_id(entity, record_id)
        return _respond(api.read(call, target, ident, request.query_params.get("expand")))

    @patch("/t/{tenant:str}/api/{entity:str}/{record_id:str}", sync_to_thread=True)
    def update_record(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        body: RawBody,
    ) -> Response[bytes]:
        call, target = record_target(request, tenant, entity, UPDATE_PARAMS)
        ident = parse_id(entity, record_id)
        data = parse_object(body)
        version = requested_version(request.headers.get("if-match"), data)
        if dry_run(request.query_params):
            return _respond(api.dry_run(call, target, data, ident, version))
        return _respond(api.update(call, target, ident, data, version))

    @delete(
        "/t/{tenant:str}/api/{entity:str}/{record_id:str}", status_code=204, sync_to_thread=True
    )
    def delete_record(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> None:
        call, target = record_target(request, tenant, entity, DELETE_PARAMS)
        expected = parse_if_match(request.headers.get("if-match"))
        api.delete(call, target, parse_id(entity, record_id), expected)

    handlers: list[Any] = [
        index,
        health,
        openapi,
        check_expression,
        list_records,
        create_record,
        bulk_records,
        draft_form,
        record_form,
        read_record,
        update_record,
        delete_record,
        *workflow_routes(api),
        *pipeline_routes(api),
        *rule_routes(api),
        *job_routes(api),
        *comment_routes(api),
        *notification_routes(api),
        *security_routes(api),
        *member_routes(api),
        *role_routes(api),
        *read_routes(api),
        *web.route_handlers,
    ]
    return Litestar(
        # One router holding every handler: Litestar 2 re-runs a handler's registration
        # each time another handler of its path is registered on the app, which wraps a
        # ``sync_to_thread`` handler a second time (its answer then is an un-awaited
        # coroutine). Registered as one router, each handler is registered once.
        route_handlers=[Router(path="/", route_handlers=[*options_handlers(handlers), *handlers])],
        middleware=[
            client_ip_middleware,
            *([rate_limit_middleware(limits, counter, runtime.clock)] if hardening else []),
            request_hygiene_middleware,
            *web.middleware,
        ],
        before_send=[security_headers(runtime.config)] if hardening else [],
        exception_handlers={
            RecordError: _record_error,
            HTTPException: _http_error,
            IntegrityError: _integrity_error,
            DBAPIError: _database_error,
            PoolTimeoutError: _database_error,
            SessionStoreUnavailableError: _database_error,
            **web.exception_handlers,
            Exception: _server_error,
        },
        template_config=web.template_config,
        csrf_config=web.csrf_config,
        state=State({**web.state, "error_page": web.error_page}),
        openapi_config=None,
        request_max_body_size=MAX_BODY_BYTES,
        debug=debug,
        on_startup=[runtime.start_invalidation],
        on_shutdown=[*web.on_shutdown, close_counter, runtime.close],
    )


__all__ = ["WebExtension", "create_app"]
