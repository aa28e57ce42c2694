"""The session cookie of the screens and the sign-in service they share."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from trellis.platform.identity import SignInService
from trellis.platform.identity.two_factor_policy import requires_two_factor
from trellis.platform.sessions import SESSION_COOKIE, Session
from trellis.ui.screens.web import UiServices


def identity_service(services: UiServices) -> SignInService:
    """The sign-in service over the screens' session store (and its clock)."""
    runtime = services.runtime

    def required(user_id: int) -> bool:
        return any(requires_two_factor(runtime, t) for t in runtime.registry.user_tenants(user_id))

    return SignInService(
        runtime.registry, services.sessions, runtime.config, two_factor_required=required
    )


def cookie_is_secure(services: UiServices, request: Request[Any, Any, Any]) -> bool:
    """``Secure`` over HTTPS, or always when configured (DESIGN §13)."""
    return services.secure_cookies or request.url.scheme == "https"


def cookie_path(tenant: str) -> str:
    """Session cookies are per tenant: the browser never sends A's session to B."""
    return f"/t/{tenant}/"


def set_session_cookie(
    response: Response[Any],
    request: Request[Any, Any, Any],
    services: UiServices,
    session: Session,
) -> None:
    """Give the browser ``session``: HttpOnly, SameSite=Lax, Secure when it must be."""
    response.set_cookie(
        SESSION_COOKIE,
        session.sid,
        path=cookie_path(session.tenant),
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(services, request),
    )


def clear_session_cookie(response: Response[Any], tenant: str) -> None:
    """Make the browser forget its session id for ``tenant``."""
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(tenant))


def request_ip(request: Request[Any, Any, Any]) -> str | None:
    """The client address for audit rows."""
    return request.client.host if request.client else None


__all__ = [
    "clear_session_cookie",
    "cookie_is_secure",
    "cookie_path",
    "identity_service",
    "request_ip",
    "set_session_cookie",
]
