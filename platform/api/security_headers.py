"""Security headers on every response: API, screens, static files, errors, 404s, redirects.

The headers are added by a Litestar ``before_send`` hook, which sees every message the
application sends, including the 404 and 405 answers of the router that no route
middleware ever runs for. A header a handler already set is left alone.

``Strict-Transport-Security`` is sent only when the request came over TLS (ASGI scheme
``https``; uvicorn sets it from ``X-Forwarded-Proto`` for the proxies it trusts, see
``--forwarded-allow-ips``) or when the deployment says it is behind TLS
(``TRELLIS_SECURE_COOKIES=1``): never over the embedded default's plain local HTTP, where a
browser would then refuse ``http://127.0.0.1`` for a year.

``Cache-Control: no-store`` goes on every response except the static files under
``/static/``: pages, fragments, API answers, exports and errors carry tenant data, which
neither the browser nor a shared cache between it and us may keep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

from trellis.platform.config import RuntimeConfig

#: No inline scripts or styles anywhere: htmx and our own script are files under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
#: One year, subdomains included (the deployment's host serves nothing but Trellis).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
#: ``same-origin``: URLs carry record ids, searches and filters, so other sites get no
#: referrer at all (``strict-origin-when-cross-origin`` would still tell them the host).
REFERRER_POLICY = "same-origin"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", REFERRER_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
)
HSTS: tuple[bytes, bytes] = (b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode())
#: Dynamic answers carry tenant data: no browser or intermediary may store them.
NO_STORE: tuple[bytes, bytes] = (b"cache-control", b"no-store")
#: The one path whose answers (our own CSS, scripts, icons) may be cached.
STATIC_PREFIX = "/static/"

SendHook = Callable[[Message, Scope], Awaitable[None]]


def behind_tls(config: RuntimeConfig) -> bool:
    """Whether the deployment declares it is served over TLS whatever the ASGI scheme.

    ``RuntimeConfig.secure_cookies`` (``TRELLIS_SECURE_COOKIES=1``, read at start): plain
    HTTP reaches us from a TLS-terminating proxy.
    """
    return config.secure_cookies


def security_headers(config: RuntimeConfig) -> SendHook:
    """The ``before_send`` hook adding :data:`HEADERS` (and HSTS over TLS) to responses."""

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {bytes(name).lower() for name, _ in headers}
        wanted = list(HEADERS)
        if b"content-security-policy" in present:
            # The handler chose its own policy and its own ``frame-ancestors`` (public
            # forms are embeddable by their allowed origins); DENY would contradict it.
            wanted = [pair for pair in wanted if pair[0] != b"x-frame-options"]
        if scope.get("scheme") == "https" or behind_tls(config):
            wanted.append(HSTS)
        if not str(scope.get("path", "")).startswith(STATIC_PREFIX):
            wanted.append(NO_STORE)
        headers.extend(pair for pair in wanted if pair[0] not in present)
        message["headers"] = headers

    return hook


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "NO_STORE",
    "REFERRER_POLICY",
    "STRICT_TRANSPORT_SECURITY",
    "behind_tls",
    "security_headers",
]
