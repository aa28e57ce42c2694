"""One access-log line per HTTP request: method, route template, status, duration, tenant.

An ASGI wrapper around the whole application, so every answer is logged once, errors and
refusals by the middleware included. The route template (``/t/{tenant}/api/{entity}``)
is what Litestar's router leaves in the scope; a request no route matched shows ``-``,
so that probing clients cannot fill the log with arbitrary paths.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

#: The logger of the access log (INFO); ``trellis serve`` prints it on standard error.
ACCESS_LOGGER = "trellis.access"


class AccessLog:
    """Wraps an ASGI app and logs each HTTP request once it has been answered."""

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) != "http" or not self.logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.logger.info(line(scope, status, time.perf_counter() - began))


def line(scope: Scope | dict[str, Any], status: int, seconds: float) -> str:
    """The log line of one request (status 0: the client left before an answer)."""
    template = scope.get("path_template") or "-"
    params = scope.get("path_params") or {}
    tenant = params.get("tenant") if isinstance(params, dict) else None
    return (
        f"{scope.get('method', '-')} {template} {status} {seconds * 1000:.1f}ms "
        f"tenant={tenant or '-'}"
    )


__all__ = ["ACCESS_LOGGER", "AccessLog", "line"]
