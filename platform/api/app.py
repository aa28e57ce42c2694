"""The Litestar application: the JSON API router, ``/`` and ``/health``, and plugins.

``/t/{tenant}/api`` is one ``Router`` of controllers grouped by resource
(``platform/api/*_controller.py``); the caller and the entity are injected
(``platform.api.deps``), admin-only controllers carry the ``admin_only`` guard, and the
router answers errors as JSON (``platform.api.errors``). The screens come as a plugin
(``ui.screens.app.ScreensPlugin``) that mounts their own router.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from litestar import Litestar, Request, Router, get
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.logging.config import LoggingConfig
from litestar.plugins import InitPluginProtocol
from litestar.response import Redirect
from litestar.routes import HTTPRoute
from litestar.utils import normalize_path

from trellis.metadata.model.local_text import LocalText, Translatable
from trellis.platform.api.backups_controller import BackupsController
from trellis.platform.api.client_ip import client_ip_middleware
from trellis.platform.api.comments_controller import CommentsController
from trellis.platform.api.dashboards_controller import DashboardsController
from trellis.platform.api.deps import API_STATE, api_dependencies
from trellis.platform.api.documents_controller import DocumentsController
from trellis.platform.api.errors import error_handlers
from trellis.platform.api.exports_controller import ExportJobController, ExportsController
from trellis.platform.api.files_controller import FilesController
from trellis.platform.api.gate import ApiGate
from trellis.platform.api.hygiene import request_hygiene_middleware
from trellis.platform.api.imports_controller import ImportsController, ImportUploadController
from trellis.platform.api.jobs_controller import JobsController
from trellis.platform.api.links_controller import LinksController
from trellis.platform.api.members_controller import MembersController
from trellis.platform.api.merge_controller import MergeController
from trellis.platform.api.meta_controller import MetaController
from trellis.platform.api.meta_export_controller import MetaExportController
from trellis.platform.api.notifications_controller import (
    DeliveriesController,
    NotificationsController,
)
from trellis.platform.api.openapi_controller import OpenApiController
from trellis.platform.api.options import options_for
from trellis.platform.api.pipelines_controller import PipelinesController, RecordStagesController
from trellis.platform.api.privacy_controller import PrivacyController
from trellis.platform.api.rate_limit import rate_counter, rate_limit_middleware
from trellis.platform.api.rates_controller import RatesController
from trellis.platform.api.reads_controller import EntityReadsController, SearchController
from trellis.platform.api.records_controller import RecordsController
from trellis.platform.api.recycle_controller import RecycleBinController
from trellis.platform.api.requests import MAX_BODY_BYTES
from trellis.platform.api.roles_controller import RolesController
from trellis.platform.api.rules_controller import RulesController
from trellis.platform.api.security_controller import SecurityController
from trellis.platform.api.security_headers import security_headers
from trellis.platform.api.workflows_controller import WorkflowsController
from trellis.platform.config.version import __version__
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

API_PATH = "/t/{tenant:str}/api"
#: ``app.state`` key of the page ``/`` shows browsers (set by the screens plugin).
WELCOME_PAGE = "welcome_page"
#: Every controller of the API router.
API_CONTROLLERS: tuple[Any, ...] = (
    OpenApiController,
    RulesController,
    JobsController,
    LinksController,
    MembersController,
    RolesController,
    MetaController,
    RatesController,
    PrivacyController,
    BackupsController,
    MetaExportController,
    ImportsController,
    ImportUploadController,
    ExportsController,
    ExportJobController,
    SecurityController,
    NotificationsController,
    DeliveriesController,
    SearchController,
    PipelinesController,
    DashboardsController,
    RecordsController,
    EntityReadsController,
    RecycleBinController,
    MergeController,
    CommentsController,
    DocumentsController,
    RecordStagesController,
    WorkflowsController,
    FilesController,
)


def with_options(path: str, handlers: Sequence[Any], **router: Any) -> Router:
    """A ``Router`` at ``path`` of ``handlers`` (controllers too), with an ``OPTIONS``
    handler per path whose ``Allow`` lists every method of it (``platform.api.options``).
    """
    own: set[str] = set()  # paths with an OPTIONS handler of their own (a CORS preflight)
    found: dict[str, set[str]] = {}
    for h in handlers:
        if not isinstance(h, HTTPRouteHandler):
            continue
        for handler_path in h.paths:
            found.setdefault(normalize_path(handler_path), set()).update(h.http_methods)
            if "OPTIONS" in h.http_methods:
                own.add(handler_path)
    controllers = tuple(h for h in handlers if isinstance(h, type))
    for route_path, route_methods, own_options in _controller_methods(controllers):
        found.setdefault(route_path, set()).update(route_methods)
        if own_options:
            own.add(route_path)
    methods = {
        p: sorted(m for m in found[p] if m != "OPTIONS") for p in sorted(found) if p not in own
    }
    return Router(
        path=path,
        route_handlers=[*options_for(methods), *handlers],
        **router,
    )


@cache
def _controller_methods(
    controllers: tuple[type, ...],
) -> tuple[tuple[str, frozenset[str], bool], ...]:
    """The (path, methods, declares its own OPTIONS) of each route of ``controllers``."""
    if not controllers:
        return ()
    probe = Router(path="/", route_handlers=list(controllers))
    return tuple(
        (route.path, frozenset(route.methods), _own_options(route))
        for route in probe.routes
        if isinstance(route, HTTPRoute)
    )


def _own_options(route: HTTPRoute) -> bool:
    """Whether a controller declares the route's ``OPTIONS`` (not Litestar's default one)."""
    return any(
        "OPTIONS" in h.http_methods and h.handler_name != "options_handler"
        for h in route.route_handlers
    )


def _root_handlers(runtime: Runtime) -> list[Any]:
    """``/`` (a neutral document, or the screens' welcome) and ``/health``."""

    @get("/", sync_to_thread=False)
    def index(request: Request[Any, Any, Any]) -> Any:
        """Neutral: tenant names are customer names, so none is listed or picked here."""
        wants_html = "text/html" in request.headers.get("accept", "")
        welcome = request.app.state.get(WELCOME_PAGE)
        if wants_html and welcome is not None:
            home = runtime.config.home_tenant
            if home is not None:
                return Redirect(path=f"/t/{home}/login", status_code=303)
            return welcome(request)
        return {
            "name": "Trellis",
            "version": __version__,
            "api": "/t/{tenant}/api/{entity}",
            "openapi": "/t/{tenant}/api/openapi.json",
        }

    @get("/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return [index, health]


def api_router() -> Router:
    """``/t/{tenant}/api``: every JSON API controller, with JSON error answers."""
    return with_options(
        API_PATH,
        API_CONTROLLERS,
        dependencies=api_dependencies(),
        exception_handlers=error_handlers(),
    )


def create_app(
    runtime: Runtime,
    *,
    debug: bool = False,
    extension: Callable[[Services], InitPluginProtocol] | None = None,
    hardening: bool = True,
) -> Litestar:
    """Build the web application over ``runtime``, with the screens plugin of ``extension``
    (given the application's services, the ones the API's controllers call).

    ``hardening=False`` leaves out the rate limits and the security headers; it exists only
    so ``bench/bench_hardening.py`` can measure what they cost. Never serve such an app.
    """
    api = ApiGate(runtime)
    counter, close_counter = rate_counter(runtime.config)
    limits = {"token": runtime.config.rate_limit_token, "ip": runtime.config.rate_limit_ip}
    return Litestar(
        # One router holding every API handler: Litestar 2 re-runs a handler's registration
        # each time another handler of its path is registered on the app, which wraps a
        # ``sync_to_thread`` handler a second time (its answer then is an un-awaited
        # coroutine). Registered as one router, each handler is registered once; the
        # screens plugin registers its own router, whose paths are all different.
        route_handlers=[with_options("/", _root_handlers(runtime)), api_router()],
        plugins=[extension(api.services)] if extension is not None else [],
        middleware=[
            client_ip_middleware,
            *([rate_limit_middleware(limits, counter, runtime.clock)] if hardening else []),
            request_hygiene_middleware,
        ],
        before_send=[security_headers(runtime.config)] if hardening else [],
        # Requests no route matched (plugins may answer those with pages off the API).
        exception_handlers=error_handlers(),
        state=State({API_STATE: api}),
        openapi_config=None,
        # Litestar would set the root logger to INFO, letting every library's INFO lines
        # (Alembic's migrations, …) into the server's output; the process decides instead.
        logging_config=LoggingConfig(configure_root_logger=False),
        # Per-locale labels and translatable messages are str subclasses: their text.
        type_encoders={LocalText: str, Translatable: str},
        request_max_body_size=MAX_BODY_BYTES,
        debug=debug,
        on_startup=[runtime.start_invalidation],
        on_shutdown=[close_counter, runtime.close],
    )


__all__ = ["API_PATH", "WELCOME_PAGE", "api_router", "create_app", "with_options"]
