"""The screens: templates, static files, CSRF, sessions, wired beside the JSON API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from trellis.platform.api.app import WebExtension, create_app
from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.config.secret import deployment_secret
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import SessionStore, open_session_store
from trellis.ui.screens.account_routes import account_routes
from trellis.ui.screens.activity_routes import activity_routes
from trellis.ui.screens.admin_job_routes import admin_job_routes
from trellis.ui.screens.auth_routes import auth_routes
from trellis.ui.screens.board_routes import board_routes
from trellis.ui.screens.calendar_routes import calendar_routes
from trellis.ui.screens.csrf import CsrfPolicy, csrf_middleware
from trellis.ui.screens.dashboard_routes import dashboard_routes
from trellis.ui.screens.filters import register_filters
from trellis.ui.screens.flow_routes import flow_routes
from trellis.ui.screens.inbox_routes import inbox_routes
from trellis.ui.screens.members import MemberCache
from trellis.ui.screens.record_routes import record_routes
from trellis.ui.screens.search_routes import search_routes
from trellis.ui.screens.view_routes import view_routes
from trellis.ui.screens.web import (
    EnrolmentRequiredError,
    LoginRequiredError,
    UiServices,
    enrolment_redirect,
    login_redirect,
)

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _error_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    """A readable error page (its own status code) for screen paths."""
    parts = request.url.path.split("/")
    tenant = parts[2] if len(parts) > 2 and parts[1] == "t" else None
    context = {"status": status, "message": message, "tenant": tenant}
    return Template(template_name="error.html", context=context, status_code=status)


def _welcome_page(_request: Request[Any, Any, Any]) -> Response[Any]:
    """``/`` for browsers: how to reach one's organisation, naming no tenant."""
    return Template(template_name="welcome.html", context={}, status_code=200)


def screens(runtime: Runtime, sessions: SessionStore | None = None) -> Any:
    """The extension factory for :func:`create_app`: every screen route and its plumbing.

    The app owns its session store: it is closed when the app shuts down.
    """
    store = (
        sessions
        if sessions is not None
        else open_session_store(runtime.config, clock=runtime.clock, registry=runtime.registry)
    )

    def extension(api: TenantApi) -> WebExtension:
        members = MemberCache(runtime.registry, clock=runtime.clock)
        runtime.on_forget(members.forget)
        services = UiServices(runtime, api.services, store, members)
        csrf = CsrfPolicy(
            secret=deployment_secret(runtime.config).encode(),
            secure=lambda scope: services.secure_cookies or scope.get("scheme") == "https",
        )
        return WebExtension(
            route_handlers=[
                *auth_routes(services),
                *account_routes(services),
                *record_routes(services),
                *board_routes(services),
                *dashboard_routes(services),
                *calendar_routes(services),
                *flow_routes(services),
                *view_routes(services),
                *search_routes(services),
                *activity_routes(services),
                *inbox_routes(services),
                *admin_job_routes(services),
                create_static_files_router(path="/static", directories=[STATIC], name="static"),
            ],
            template_config=TemplateConfig(
                directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=register_filters
            ),
            error_page=_error_page,
            welcome_page=_welcome_page,
            exception_handlers={
                LoginRequiredError: login_redirect,
                EnrolmentRequiredError: enrolment_redirect,
            },
            state={"ui": services},
            middleware=[csrf_middleware(csrf)],
            on_shutdown=[store.close],
        )

    return extension


def create_web_app(
    runtime: Runtime, *, debug: bool = False, sessions: SessionStore | None = None
) -> Litestar:
    """The whole web application: JSON API plus screens."""
    return create_app(runtime, debug=debug, extension=screens(runtime, sessions))


__all__ = ["create_web_app", "screens"]
