"""The screens: templates, static files, CSRF, sessions, mounted beside the JSON API.

``ScreensPlugin`` mounts every screen route as one ``Router`` whose exception handlers
answer HTML pages (the API router answers JSON), and brings the template engine, the
CSRF middleware, the session store's shutdown and the welcome page ``/`` shows browsers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from trellis.platform.api.app import WELCOME_PAGE, create_app, with_options
from trellis.platform.api.errors import error_handlers, outside_api
from trellis.platform.config.secret import deployment_secret
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.platform.sessions import SessionStore, open_session_store
from trellis.ui.screens.account_routes import account_routes
from trellis.ui.screens.activity_routes import activity_routes
from trellis.ui.screens.admin_backup_routes import admin_backup_routes
from trellis.ui.screens.admin_job_routes import admin_job_routes
from trellis.ui.screens.admin_people_routes import admin_people_routes
from trellis.ui.screens.admin_retention_routes import admin_retention_routes
from trellis.ui.screens.auth_routes import auth_routes
from trellis.ui.screens.board_routes import board_routes
from trellis.ui.screens.calendar_routes import calendar_routes
from trellis.ui.screens.chat_routes import agent_chat_routes
from trellis.ui.screens.csrf import CsrfPolicy, csrf_middleware
from trellis.ui.screens.dashboard_designer_routes import dashboard_designer_routes
from trellis.ui.screens.dashboard_details_routes import dashboard_details_routes
from trellis.ui.screens.dashboard_routes import dashboard_routes
from trellis.ui.screens.designer_routes import designer_routes
from trellis.ui.screens.document_routes import document_routes
from trellis.ui.screens.entity_delete_routes import entity_delete_routes
from trellis.ui.screens.erase_routes import erase_routes
from trellis.ui.screens.file_routes import file_routes
from trellis.ui.screens.filters import register_filters
from trellis.ui.screens.flow_routes import flow_routes
from trellis.ui.screens.form_designer_routes import form_designer_routes
from trellis.ui.screens.history_routes import history_routes
from trellis.ui.screens.import_routes import wizard_routes
from trellis.ui.screens.import_status_routes import import_status_routes
from trellis.ui.screens.inbox_routes import inbox_routes
from trellis.ui.screens.inline_file_routes import inline_file_routes
from trellis.ui.screens.inline_routes import inline_routes
from trellis.ui.screens.invitation_routes import invitation_routes
from trellis.ui.screens.layout_designer_routes import layout_designer_routes
from trellis.ui.screens.line_forms import line_row_handlers
from trellis.ui.screens.locale import known_translator
from trellis.ui.screens.mail_designer_routes import mail_designer_routes
from trellis.ui.screens.members import MemberCache
from trellis.ui.screens.merge_routes import merge_routes
from trellis.ui.screens.new_entity_routes import new_entity_routes
from trellis.ui.screens.pipeline_designer_routes import pipeline_designer_routes
from trellis.ui.screens.privacy_routes import privacy_routes
from trellis.ui.screens.public_chat import ChatPages
from trellis.ui.screens.public_chat_routes import chat_routes
from trellis.ui.screens.public_portal_routes import portal_routes
from trellis.ui.screens.public_routes import PublicPages, public_routes
from trellis.ui.screens.publish_routes import publish_routes
from trellis.ui.screens.record_routes import record_routes
from trellis.ui.screens.recycle_routes import recycle_routes
from trellis.ui.screens.roles_designer_routes import roles_designer_routes
from trellis.ui.screens.rules_designer_routes import rules_designer_routes
from trellis.ui.screens.search_routes import search_routes
from trellis.ui.screens.view_routes import view_routes
from trellis.ui.screens.web import (
    EnrolmentRequiredError,
    LoginRequiredError,
    UiServices,
    enrolment_redirect,
    login_redirect,
)
from trellis.ui.screens.workflow_designer_routes import workflow_designer_routes

#: Screen requests without a usable session are sent to sign in (or to enrol a second factor).
_REDIRECTS: Mapping[Any, Any] = MappingProxyType(
    {LoginRequiredError: login_redirect, EnrolmentRequiredError: enrolment_redirect}
)
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    """A readable error page (its own status code) for screen paths."""
    parts = request.url.path.split("/")
    tenant = parts[2] if len(parts) > 2 and parts[1] == "t" else None
    t = known_translator(request)
    context = {"status": status, "message": message, "tenant": tenant, "i18n": t, "lang": t.locale}
    return Template(template_name="error.html", context=context, status_code=status)


def _welcome_page(_request: Request[Any, Any, Any]) -> Response[Any]:
    """``/`` for browsers: how to reach one's organisation, naming no tenant."""
    return Template(template_name="welcome.html", context={}, status_code=200)


class ScreensPlugin(InitPluginProtocol):
    """Mounts the screens on the application (``create_app(extension=screens(...))``)."""

    def __init__(self, runtime: Runtime, services: Services, store: SessionStore) -> None:
        self.runtime = runtime
        self.services = services
        self.store = store

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the screens router, templates, CSRF middleware, state and shutdown."""
        runtime = self.runtime
        members = MemberCache(runtime.registry, clock=runtime.clock)
        runtime.on_forget(members.forget)
        services = UiServices(runtime, self.services, self.store, members)
        csrf = CsrfPolicy(
            secret=deployment_secret(runtime.config).encode(),
            secure=lambda scope: services.secure_cookies or scope.get("scheme") == "https",
        )
        public = PublicPages(services)
        app_config.route_handlers.append(screens_router(services, public))
        app_config.template_config = TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=register_filters
        )
        app_config.state.update({"ui": services, WELCOME_PAGE: _welcome_page})
        app_config.middleware.append(csrf_middleware(csrf))
        app_config.on_shutdown.insert(0, self.store.close)
        app_config.on_shutdown.append(public.limiter.close)
        # Requests no route matched: a page off the API paths, JSON on them.
        app_config.exception_handlers = {**error_handlers(outside_api(_error_page)), **_REDIRECTS}
        return app_config


def screens_router(services: UiServices, public: PublicPages | None = None) -> Router:
    """Every screen route, the public pages and the static files; errors as HTML pages."""
    public = public or PublicPages(services)
    chat = ChatPages(services, public.limiter)
    handlers = [
        *public_routes(services, public),
        *chat_routes(services, chat),
        *agent_chat_routes(services, chat.chat),
        *portal_routes(services, public),
        *auth_routes(services),
        *account_routes(services),
        *record_routes(services),
        *inline_routes(services),
        *inline_file_routes(services),
        *line_row_handlers(services),
        *document_routes(services),
        *recycle_routes(services),
        *wizard_routes(services),
        *import_status_routes(services),
        *history_routes(services),
        *merge_routes(services),
        *privacy_routes(services),
        *erase_routes(services),
        *admin_backup_routes(services),
        *admin_retention_routes(services),
        *board_routes(services),
        *dashboard_routes(services),
        *calendar_routes(services),
        *flow_routes(services),
        *view_routes(services),
        *search_routes(services),
        *activity_routes(services),
        *inbox_routes(services),
        *admin_job_routes(services),
        *admin_people_routes(services),
        *invitation_routes(services),
        *designer_routes(services),
        *new_entity_routes(services),
        *entity_delete_routes(services),
        *layout_designer_routes(services),
        *workflow_designer_routes(services),
        *pipeline_designer_routes(services),
        *dashboard_designer_routes(services),
        *dashboard_details_routes(services),
        *mail_designer_routes(services),
        *form_designer_routes(services),
        *rules_designer_routes(services),
        *roles_designer_routes(services),
        *publish_routes(services),
        *file_routes(services),
        create_static_files_router(path="/static", directories=[STATIC], name="static"),
    ]
    return with_options(
        "/",
        handlers,
        exception_handlers={**error_handlers(_error_page), **_REDIRECTS},
    )


def screens(runtime: Runtime, sessions: SessionStore | None = None) -> Any:
    """The plugin factory for :func:`create_app`: ``ScreensPlugin`` over the app's services.

    The app owns its session store: it is closed when the app shuts down.
    """
    store = (
        sessions
        if sessions is not None
        else open_session_store(runtime.config, clock=runtime.clock, registry=runtime.registry)
    )

    def extension(services: Services) -> ScreensPlugin:
        return ScreensPlugin(runtime, services, store)

    return extension


def create_web_app(
    runtime: Runtime, *, debug: bool = False, sessions: SessionStore | None = None
) -> Litestar:
    """The whole web application: JSON API plus screens."""
    return create_app(runtime, debug=debug, extension=screens(runtime, sessions))


__all__ = ["ScreensPlugin", "create_web_app", "screens", "screens_router"]
