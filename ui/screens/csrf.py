"""CSRF protection of the screens: tokens bound to the tenant and to the session.

Litestar's ``CSRFConfig`` gives one cookie with one fixed ``Path`` for the whole site and
a double-submit token tied to nothing else, so a token (or a cookie a sibling tenant's page
planted) works in every tenant and every session. This middleware replaces it:

* A request under ``/t/{tenant}/`` that carries the tenant's session cookie must send
  ``HMAC(secret, tenant prefix, session id)``: a token of another session or tenant is
  refused.
* Before a session exists (sign-in forms), the token is a signed random value bound to the
  tenant prefix and must equal the ``csrftoken`` cookie (the pre-session cookie). Signing
  in replaces it with the session-bound token (rotation), signing out with a fresh one.
* The ``csrftoken`` cookie carries the current token for scripts (``Path=/t/{tenant}/``,
  ``SameSite=Lax``, ``Secure`` like the session cookie); it is updated whenever the
  session cookie changes.
* POST, PUT, PATCH and DELETE outside the exempt paths (the bearer-token JSON API, the
  health probe, static files) are refused with 403 without a valid token in the
  ``x-csrftoken`` header or the ``_csrf_token`` form field. Paths outside a tenant cannot
  be bound to anything and are refused outright. A file upload (streamed by its handler)
  is read as a form for its field only when its announced length is within the body
  limit, so an unauthenticated body is never held in memory whole.

Templates get the token as ``csrf_input`` and ``csrf_token()`` as before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from litestar.datastructures.cookie import Cookie
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from trellis.platform.api.hygiene import UPLOAD_PATHS
from trellis.platform.api.requests import MAX_BODY_BYTES
from trellis.platform.sessions import SESSION_COOKIE

CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrftoken"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths that are not screens: the bearer-token API, the health probe, static files.
#: Public forms, signed links, portal votes and chat posts are CSRF-free by design (no
#: cookie grants anything there); their posts are origin-checked instead
#: (ui/screens/public_routes.py).
EXEMPT_PATHS: tuple[str, ...] = (
    r"^/t/[^/]+/api/",
    r"^/health$",
    r"^/static/",
    r"^/p/[^/]+/forms/",
    r"^/p/[^/]+/s/",
    r"^/p/[^/]+/[^/]+/[^/]+/vote$",
    r"^/p/[^/]+/chat(/[^/]+(/transcript)?)?$",
)
REFUSED = (
    "The form has expired or was not sent by this site (its CSRF token is missing or "
    "wrong); reload the page and try again."
)
#: A tenant's screens (``/t/``) or public pages (``/p/``); names as tenant names allow.
#: (The router hands ``/t/acme/`` on as ``/t/acme``.)
_SCOPED = re.compile(r"^/([tp])/([a-z][a-z0-9-]{1,39})(?:/|$)")


@dataclass(frozen=True, slots=True)
class CsrfPolicy:
    """How tokens are made and checked: the deployment secret and the cookie's flags."""

    secret: bytes
    #: Whether the cookie gets ``Secure`` for this request (HTTPS or configured).
    secure: Callable[[Scope], bool]
    exempt: Sequence[str] = EXEMPT_PATHS

    def _mac(self, *parts: str) -> str:
        return hmac.new(self.secret, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()

    def session_token(self, prefix: str, sid: str) -> str:
        """The token of session ``sid`` under ``prefix`` (``/t/{tenant}/``)."""
        return "s" + self._mac("csrf-session", prefix, sid)

    def new_presession_token(self, prefix: str) -> str:
        """A fresh pre-session token (and cookie value) under ``prefix``."""
        nonce = secrets.token_hex(16)
        return f"p{nonce}.{self._mac('csrf-pre', prefix, nonce)}"

    def presession_valid(self, prefix: str, token: str) -> bool:
        """Whether ``token`` is a pre-session token this deployment signed for ``prefix``."""
        nonce, _, mac = token[1:].partition(".")
        if not token.startswith("p") or not nonce or not mac:
            return False
        return _same(mac, self._mac("csrf-pre", prefix, nonce))

    def current(self, prefix: str, sid: str | None, cookies: Iterable[str]) -> str:
        """The token pages of this request carry."""
        if sid:
            return self.session_token(prefix, sid)
        for value in cookies:
            if self.presession_valid(prefix, value):
                return value
        return self.new_presession_token(prefix)

    def accepts(self, prefix: str, sid: str | None, cookies: Sequence[str], submitted: str) -> bool:
        """Whether ``submitted`` is this request's token.

        With a session cookie only the session's token counts; without one, a signed
        pre-session token that the browser also holds as its ``csrftoken`` cookie.
        """
        if not submitted:
            return False
        if sid:
            return _same(submitted, self.session_token(prefix, sid))
        return any(_same(submitted, value) for value in cookies) and self.presession_valid(
            prefix, submitted
        )


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that takes any text (``compare_digest`` wants ASCII str)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


def tenant_prefix(path: str) -> str | None:
    """``/t/{tenant}/`` or ``/p/{tenant}/`` for paths inside a tenant, else None."""
    found = _SCOPED.match(path)
    return f"/{found.group(1)}/{found.group(2)}/" if found else None


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [bytes(v).decode("latin-1") for k, v in scope.get("headers", []) if bytes(k) == name]


def cookie_values(scope: Scope, name: str) -> list[str]:
    """Every value the request sends for cookie ``name`` (one per path that set it)."""
    found: list[str] = []
    for header in _header_values(scope, b"cookie"):
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name and value:
                found.append(value.strip('"'))
    return found


def _set_cookie_change(headers: Iterable[tuple[bytes, bytes]], name: str) -> tuple[bool, str]:
    """Whether the response sets cookie ``name``, and its new value ("" when deleted)."""
    for key, raw in headers:
        if bytes(key).lower() != b"set-cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(bytes(raw).decode("latin-1"))
        except CookieError:
            continue
        morsel = jar.get(name)
        if morsel is not None:
            deleted = morsel["max-age"] in ("0", 0)
            return True, "" if deleted else morsel.value
    return False, ""


def _refuse() -> PermissionDeniedException:
    return PermissionDeniedException(REFUSED)


def csrf_middleware(policy: CsrfPolicy) -> Callable[..., ASGIApp]:
    """The ASGI middleware factory enforcing ``policy`` on every screen route."""
    exempt = re.compile("|".join(f"(?:{p})" for p in policy.exempt))

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            path = str(scope.get("path", ""))
            if scope["type"] != ScopeType.HTTP or exempt.match(path):
                await app(scope, receive, send)
                return
            unsafe = str(scope.get("method", "GET")).upper() in UNSAFE_METHODS
            prefix = tenant_prefix(path)
            if prefix is None:
                if unsafe:
                    raise _refuse()
                await app(scope, receive, send)
                return
            request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
            sid = request.cookies.get(SESSION_COOKIE) if prefix.startswith("/t/") else None
            cookies = cookie_values(scope, CSRF_COOKIE)
            if unsafe and not await _submitted_ok(policy, request, prefix, sid, cookies):
                raise _refuse()
            token = policy.current(prefix, sid, cookies)
            ScopeState.from_scope(scope).csrf_token = token

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    fresh = _token_after(policy, prefix, token, headers)
                    if fresh not in cookies:
                        cookie = Cookie(
                            key=CSRF_COOKIE,
                            value=fresh,
                            path=prefix,
                            secure=policy.secure(scope),
                            httponly=False,  # scripts send it back in a header
                            samesite="lax",
                        )
                        headers.append((b"set-cookie", cookie.to_header(header="").encode()))
                        message["headers"] = headers
                await send(message)

            await app(scope, receive, send_with_cookie)

        return middleware

    return factory


async def _submitted_ok(
    policy: CsrfPolicy, request: Any, prefix: str, sid: str | None, cookies: Sequence[str]
) -> bool:
    """Whether the header or the form field carries this request's token."""
    if policy.accepts(prefix, sid, cookies, request.headers.get(CSRF_HEADER, "")):
        return True
    content_type, _ = request.content_type
    if content_type not in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return False
    if UPLOAD_PATHS.match(request.url.path) and not _small(request.headers):
        return False  # a file upload is read as a form only when announced small
    form = await request.form()  # cached in the scope: the handler reads it again
    accepted = policy.accepts(prefix, sid, cookies, str(form.get(CSRF_FIELD) or ""))
    if not accepted:
        await form.close()  # no handler runs: close the uploads' temporary files
    return accepted


def _small(headers: Any) -> bool:
    """Whether the body is announced and within the screens' body limit."""
    length = str(headers.get("content-length", ""))
    return length.isdigit() and int(length) <= MAX_BODY_BYTES


def _token_after(
    policy: CsrfPolicy, prefix: str, token: str, headers: list[tuple[bytes, bytes]]
) -> str:
    """The token once the response is applied: a new session gets its own (rotation)."""
    if not prefix.startswith("/t/"):
        return token
    changed, sid = _set_cookie_change(headers, SESSION_COOKIE)
    if not changed:
        return token
    return policy.session_token(prefix, sid) if sid else policy.new_presession_token(prefix)


__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "EXEMPT_PATHS",
    "REFUSED",
    "UNSAFE_METHODS",
    "CsrfPolicy",
    "cookie_values",
    "csrf_middleware",
    "tenant_prefix",
]
