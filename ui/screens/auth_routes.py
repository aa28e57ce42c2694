"""Sign-in (password, then the two-factor step when enrolled) and sign-out screens.

The work is done by :class:`~trellis.platform.identity.SignInService` (lockout,
audit, sessions); these handlers turn its answers into pages. Every form carries the
CSRF token (``{{ csrf_input }}``); :mod:`~trellis.ui.screens.csrf` refuses a post
without it (403).
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.db.outages import SESSIONS
from trellis.platform.i18n import N_
from trellis.platform.identity import IdentityError
from trellis.platform.sessions import SESSION_COOKIE, SessionStoreUnavailableError
from trellis.ui.screens.session_cookie import (
    clear_session_cookie,
    identity_service,
    request_ip,
    set_session_cookie,
)
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiServices, page, redirect

#: Longer ``next`` values are not ours (our links are short paths with a query).
MAX_NEXT = 2048


def safe_next(tenant: str, value: str | None) -> str:
    """Where to go after sign-in: a path inside the tenant, else the tenant's home.

    The path is percent-decoded once and normalised (``..`` and ``.`` resolved) before
    the tenant prefix is checked, so ``/t/a/../../x`` goes home rather than to ``/x``.
    Schemes, hosts, ``//``, backslashes, control characters and anything still
    percent-encoded after one decoding (a double encoding) are refused. The query is
    kept; the fragment is dropped.
    """
    home = f"/t/{tenant}/"
    if not value or len(value) > MAX_NEXT:
        return home
    if any(ch == "\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return home
    if "//" in value.split("?", 1)[0]:
        return home
    parts = urlsplit(value)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or "//" in path or "%" in path or "\\" in path:
        return home
    if not path.startswith("/") or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return home
    normal = posixpath.normpath(path)
    if not normal.startswith(home):
        return home
    if path.endswith("/"):
        normal += "/"
    query = f"?{parts.query}" if parts.query else ""
    return quote(normal, safe="/@:-._~!$&'()*+,;=") + query


def _no_tenant(request: Request[Any, Any, Any]) -> Response[Any]:
    return page(
        request, None, "error.html", {"status": 404, "message": "No such tenant."}, status=404
    )


def auth_routes(services: UiServices) -> list[Any]:
    """The sign-in page and its post, the two-factor step, and sign-out."""
    registry = services.runtime.registry
    identity = identity_service(services)

    @get("/t/{tenant:str}/login", sync_to_thread=True)
    def login_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        if registry.get_tenant(tenant) is None:
            return _no_tenant(request)
        context = {"tenant": tenant, "next": safe_next(tenant, request.query_params.get("next"))}
        return page(request, None, "login.html", context)

    @post("/t/{tenant:str}/login", sync_to_thread=True, dependencies=POSTED_FORM)
    def login_submit(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        email = str(form.get("email", "")).strip().lower()
        password = str(form.get("password", ""))
        target = safe_next(tenant, str(form.get("next", "")))
        try:
            session = identity.sign_in(tenant, email, password, ip=request_ip(request))
        except SessionStoreUnavailableError:
            # Redis is down: say so on the form (503), rather than an error page.
            shown: dict[str, Any] = {"tenant": tenant, "next": target, "email": email}
            shown["error"] = SESSIONS.message
            unavailable = page(request, None, "login.html", shown, status=SESSIONS.status)
            unavailable.headers.update(SESSIONS.headers())
            return unavailable
        except IdentityError as exc:
            if exc.status == 404:
                return _no_tenant(request)
            if exc.status == 403:
                context = {"status": 403, "message": exc.message, "tenant": None}
                return page(request, None, "error.html", context, status=403)
            context = {"tenant": tenant, "next": target, "email": email, "error": exc.message}
            return page(request, None, "login.html", context, status=exc.status)
        old = request.cookies.get(SESSION_COOKIE)
        if old and old != session.sid:
            services.sessions.delete(old)  # a new sign-in never keeps an old id
        if session.second_factor_pending:
            response = redirect(request, f"/t/{tenant}/login/verify?next={quote(target)}")
        else:
            response = redirect(request, target)
        set_session_cookie(response, request, services, session)
        return response

    def _pending(request: Request[Any, Any, Any], tenant: str) -> bool:
        sid = request.cookies.get(SESSION_COOKIE)
        session = services.sessions.get(sid) if sid else None
        return session is not None and session.tenant == tenant and session.second_factor_pending

    @get("/t/{tenant:str}/login/verify", sync_to_thread=True)
    def verify_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        target = safe_next(tenant, request.query_params.get("next"))
        if not _pending(request, tenant):
            return redirect(request, f"/t/{tenant}/login?next={quote(target)}")
        return page(request, None, "login_verify.html", {"tenant": tenant, "next": target})

    @post("/t/{tenant:str}/login/verify", sync_to_thread=True, dependencies=POSTED_FORM)
    def verify_submit(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        target = safe_next(tenant, str(form.get("next", "")))
        sid = request.cookies.get(SESSION_COOKIE) or ""
        if not _pending(request, tenant):
            return redirect(
                request,
                f"/t/{tenant}/login?next={quote(target)}",
                flash=N_("Sign in again, please."),
            )
        try:
            session = identity.verify_second_factor(
                sid, str(form.get("code", "")), ip=request_ip(request)
            )
        except IdentityError as exc:
            if exc.status in (401, 429):
                context = {"tenant": tenant, "next": target, "error": exc.message}
                response: Response[Any] = page(
                    request, None, "login.html", context, status=exc.status
                )
                clear_session_cookie(response, tenant)
                return response
            context = {"tenant": tenant, "next": target, "error": exc.message}
            return page(request, None, "login_verify.html", context, status=exc.status)
        response = redirect(request, target)
        set_session_cookie(response, request, services, session)
        return response

    @post("/t/{tenant:str}/logout", sync_to_thread=True)
    def logout(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        sid = request.cookies.get(SESSION_COOKIE)
        session = services.sessions.get(sid) if sid else None
        if session is not None:
            identity.sign_out(session, ip=request_ip(request))
        response = redirect(request, f"/t/{tenant}/login", flash=N_("You are signed out."))
        clear_session_cookie(response, tenant)
        return response

    return [login_page, login_submit, verify_page, verify_submit, logout]


__all__ = ["auth_routes", "safe_next"]
