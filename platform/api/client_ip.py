"""The client address of a request, remembered for the audit rows it writes."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from trellis.tenants.registry.audit import client_ip


def client_ip_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: remember the client address for audit rows of this request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        token = client_ip.set(str(client[0]) if client else None)
        try:
            await app(scope, receive, send)
        finally:
            client_ip.reset(token)

    return middleware


__all__ = ["client_ip_middleware"]
