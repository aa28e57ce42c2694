"""What every screen needs: the signed-in caller, page rendering and flash messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, unquote

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from trellis.platform.api.security_headers import behind_tls
from trellis.platform.authz.call import Call
from trellis.platform.i18n import Translator
from trellis.platform.identity.two_factor_policy import TWO_FACTOR_REQUIRED, must_enrol
from trellis.platform.notifications import unread_count
from trellis.platform.records.errors import NotFoundError
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.platform.services.reads import ReadsService
from trellis.platform.services.records import RecordsService
from trellis.platform.services.workflows import WorkflowsService
from trellis.platform.sessions import SESSION_COOKIE, Session, SessionStore
from trellis.ui.screens.icons import DEFAULT_ENTITY_ICON
from trellis.ui.screens.layouts import screens_of
from trellis.ui.screens.locale import request_translator
from trellis.ui.screens.members import MemberCache

FLASH_COOKIE = "trellis_flash"
ENGLISH = Translator()


class LoginRequiredError(Exception):
    """The request has no live session for this tenant: send the user to sign in."""

    def __init__(self, tenant: str, next_url: str) -> None:
        super().__init__(f"Sign in to {tenant} first.")
        self.tenant = tenant
        self.next_url = next_url


class EnrolmentRequiredError(Exception):
    """The tenant requires two-factor sign-in: send the member to turn it on."""

    def __init__(self, tenant: str) -> None:
        super().__init__(f"{tenant} requires two-factor sign-in.")
        self.tenant = tenant


@dataclass(frozen=True, slots=True)
class UiServices:
    """The shared parts every screen handler uses."""

    runtime: Runtime
    #: The application services every screen calls (the JSON API calls the same).
    app: Services
    sessions: SessionStore
    members: MemberCache

    @property
    def records(self) -> RecordsService:
        """Record operations: read, list, create, update, delete, form state."""
        return self.app.records

    @property
    def reads(self) -> ReadsService:
        """Search, autocomplete and export."""
        return self.app.reads

    @property
    def workflows(self) -> WorkflowsService:
        """Workflow transitions of records."""
        return self.app.workflows

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies must carry ``Secure`` regardless of the scheme.

        Set by ``RuntimeConfig.secure_cookies`` (``TRELLIS_SECURE_COOKIES=1``).
        """
        return behind_tls(self.runtime.config)


@dataclass(frozen=True, slots=True)
class UiCall:
    """A screen request of a signed-in user: their session and API call."""

    session: Session
    call: Call
    #: The member's language (their setting, the tenant's, the browser's, else en).
    translator: Translator = ENGLISH

    @property
    def tenant(self) -> str:
        """The tenant name."""
        return self.call.tenant


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """Whether htmx sent the request (answer with a fragment)."""
    return request.headers.get("hx-request") == "true"


def signed_in(services: UiServices, request: Request[Any, Any, Any], tenant: str) -> UiCall:
    """The caller's session and API call for ``tenant``.

    Raises:
        LoginRequiredError: no cookie, an unknown or expired session, a session of another
            tenant, a second factor still pending, or a membership that ended.
        EnrolmentRequiredError: the tenant requires two-factor sign-in, the member has
            not turned it on, and the page is not under their ``/t/{tenant}/account``.
    """
    sid = request.cookies.get(SESSION_COOKIE)
    session = services.sessions.get(sid) if sid else None
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None or session.tenant != tenant or session.second_factor_pending:
        raise LoginRequiredError(tenant, target)
    identity = services.members.identity(tenant, session.user_id)
    if identity is None:
        services.sessions.delete(session.sid)
        raise LoginRequiredError(tenant, target)
    account = f"/t/{tenant}/account"
    on_account = request.url.path == account or request.url.path.startswith(account + "/")
    if not on_account and must_enrol(services.runtime, tenant, session.user_id):
        raise EnrolmentRequiredError(tenant)
    call = services.app.call_as(tenant, identity)
    model = call.app.model
    translator = request_translator(
        services.members, request, session.user_id, model.locale, model.timezone
    )
    return UiCall(session, replace(call, source="form"), translator)


async def read_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    """The posted form, read on the event loop before a synchronous handler runs."""
    return await request.form()


#: ``dependencies=`` of a synchronous screen handler that takes the posted form as
#: ``form: PostedForm`` (reading the body is asynchronous, so it happens on the event loop
#: before the handler's blocking work starts in the thread pool).
POSTED_FORM = {"form": Provide(read_form)}
PostedForm = NamedDependency[FormMultiDict]


def enrolment_redirect(
    request: Request[Any, Any, Any], exc: EnrolmentRequiredError
) -> Response[Any]:
    """Send a member who must turn on two-factor sign-in to their account page."""
    return redirect(request, f"/t/{exc.tenant}/account", flash=TWO_FACTOR_REQUIRED)


def login_redirect(request: Request[Any, Any, Any], exc: LoginRequiredError) -> Response[Any]:
    """Send an unauthenticated screen request to the sign-in page (htmx: HX-Redirect)."""
    url = f"/t/{exc.tenant}/login?next={quote(exc.next_url, safe='')}"
    if is_htmx(request):
        return Response(content=b"", status_code=204, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=303)


def redirect(
    request: Request[Any, Any, Any], url: str, *, flash: str | None = None
) -> Response[Any]:
    """Go to ``url`` after a successful action, with an optional flash message."""
    if is_htmx(request):
        response: Response[Any] = Response(
            content=b"", status_code=204, headers={"HX-Redirect": url}
        )
    else:
        response = Redirect(path=url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), path="/", httponly=True, samesite="lax")
    return response


def page(
    request: Request[Any, Any, Any],
    ui: UiCall | None,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> Template:
    """Render ``template`` with the shell's context (navigation, user, flash)."""
    ctx: dict[str, Any] = {"request_path": request.url.path, **context}
    services: UiServices = request.app.state["ui"]
    translator = ui.translator if ui is not None else request_translator(services.members, request)
    ctx.setdefault("i18n", translator)
    ctx.setdefault("lang", translator.locale)
    if ui is not None:
        ctx.setdefault("app_model", ui.call.app.model)
        ctx.update(shell_context(ui, services.members.tenants(ui.session.user_id)))
        ctx["density"] = services.members.density(ui.session.user_id)
        if not is_htmx(request):  # fragments have no top bar
            ctx["unread"] = unread_count(services.runtime, ui.tenant, ui.session.user_id)
    flash = request.cookies.get(FLASH_COOKIE)
    if flash:
        ctx["flash"] = translator.gettext(unquote(flash))
    response = Template(template_name=template, context=ctx, status_code=status)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def shell_context(ui: UiCall, tenants: list[str] | None = None) -> dict[str, Any]:
    """Navigation and user menu data for the page shell."""
    call = ui.call
    chat = call.app.model.chat
    nav = [
        {
            "name": name,
            "label": entity.entity.plural_label,  # the template translates it
            "icon": screens_of(call, entity).icon or DEFAULT_ENTITY_ICON,
        }
        for name, entity in call.app.entities.items()
        if call.access.can(name, "read")
    ]
    return {
        "tenant": call.tenant,
        "user_email": ui.session.email,
        "user_id": ui.session.user_id,
        "nav": nav,
        "is_admin": call.access.admin,
        "tenants": tenants or [call.tenant],
        "chat_queue": chat is not None and call.access.can(chat.entity, "read"),
    }


def not_found(what: str) -> NotFoundError:
    """A 404 for screens (rendered as a page by the error handler)."""
    return NotFoundError(what)


__all__ = [
    "FLASH_COOKIE",
    "POSTED_FORM",
    "EnrolmentRequiredError",
    "LoginRequiredError",
    "PostedForm",
    "UiCall",
    "UiServices",
    "enrolment_redirect",
    "is_htmx",
    "login_redirect",
    "page",
    "read_form",
    "redirect",
    "shell_context",
    "signed_in",
]
