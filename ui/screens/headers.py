"""Security headers on every response: a strict Content-Security-Policy and friends."""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: No inline scripts or styles anywhere: htmx and our own script are files under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware adding ``HEADERS`` to every HTTP response."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


__all__ = ["CONTENT_SECURITY_POLICY", "security_headers_middleware"]
