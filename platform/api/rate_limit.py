"""Rate limits per API token and per client address: 429 with ``Retry-After``.

A request carrying ``Authorization: Bearer <token>`` counts against that token
(``RuntimeConfig.rate_limit_token`` a minute); any other request (screens, sign-in)
counts against the client address (``rate_limit_ip`` a minute); 0 turns a limit off.
Counting is a fixed one-minute window: in this process by default, in Redis when
``TRELLIS_REDIS_URL`` is set so every process shares the count. When Redis cannot be
reached the request is let through (a limit must not take the service down).

Litestar's own ``RateLimitMiddleware`` keeps every request's timestamp per key
(work grows with the limit) and sends no ``Retry-After``; counting a window is O(1).
Static files and ``/health`` are not counted. The Redis round trip runs in a worker
thread (``anyio.to_thread``), so a slow or unreachable Redis never stalls the event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import anyio.to_thread
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from trellis.platform.config import Clock, RuntimeConfig, SystemClock
from trellis.platform.config.redis_client import fast_failing_client, redis_error

if TYPE_CHECKING:
    from redis import Redis

LOG = logging.getLogger("trellis.api")
#: Seconds of one counting window.
WINDOW = 60
EXEMPT_PREFIXES = ("/static/", "/health")


class Counter(Protocol):
    """Counts requests of a key in the current window."""

    #: Whether :meth:`hit` waits on the network (then it runs in a worker thread, never on
    #: the event loop).
    blocking: bool

    def hit(self, key: str, window: int) -> int:
        """Count one request of ``key`` in window number ``window``; returns the count."""


class MemoryCounter:
    """Window counts in this process (the embedded default)."""

    blocking = False

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, window: int) -> int:
        with self._lock:
            seen, count = self._counts.get(key, (window, 0))
            count = count + 1 if seen == window else 1
            self._counts[key] = (window, count)
            if len(self._counts) > 100_000:  # forget keys of past windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            return count


class RedisCounter:
    """Window counts shared by every process through Redis (INCR + EXPIRE)."""

    blocking = True

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def hit(self, key: str, window: int) -> int:
        name = f"{self._prefix}{key}:{window}"
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW + 5)
            count, _ = pipe.execute()
        return int(count)


def rate_counter(config: RuntimeConfig) -> tuple[Counter, Callable[[], None]]:
    """The counter for ``config`` (Redis when configured) and how to close it."""
    if not config.redis_url:
        return MemoryCounter(), lambda: None
    redis = fast_failing_client(config.redis_url, socket_connect_timeout=0.5, socket_timeout=1.0)
    return RedisCounter(redis, f"trellis:{config.schema_prefix}ratelimit:"), redis.close


def request_key(scope: Scope) -> tuple[str, str] | None:
    """(kind, key) a request counts against: its bearer token, else its address."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            text = value.decode("latin-1").strip()
            if text[:7].lower() == "bearer " and text[7:].strip():
                digest = hashlib.sha256(text[7:].strip().encode()).hexdigest()[:32]
                return "token", f"token:{digest}"
    client = scope.get("client")
    return ("ip", f"ip:{client[0]}") if client else None


def _too_many(
    kind: str, limit: int, retry: int, api: bool
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    who = "this API token" if kind == "token" else "your address"
    message = f"Too many requests: at most {limit} a minute for {who}. Retry in {retry} seconds."
    headers = [(b"retry-after", str(retry).encode())]
    if api:
        body = json.dumps({"errors": {"__all__": [message]}}).encode()
        return body, [*headers, (b"content-type", b"application/json")]
    return message.encode(), [*headers, (b"content-type", b"text/plain; charset=utf-8")]


def rate_limit_middleware(
    limits: dict[str, int], counter: Counter, clock: Clock | None = None
) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware factory: ``limits`` maps ``token``/``ip`` to requests a minute.

    Windows are wall-clock minutes of ``clock`` (the runtime's), the same in every process.
    """
    time_now = clock or SystemClock()

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            path = str(scope.get("path", ""))
            found = request_key(scope) if scope["type"] == ScopeType.HTTP else None
            limit = limits.get(found[0], 0) if found else 0
            if found is None or limit <= 0 or path.startswith(EXEMPT_PREFIXES):
                await app(scope, receive, send)
                return
            now = time_now.now().timestamp()
            window = int(now // WINDOW)
            try:
                if counter.blocking:
                    count = await anyio.to_thread.run_sync(counter.hit, found[1], window)
                else:
                    count = counter.hit(found[1], window)
            except redis_error() as exc:
                LOG.warning("rate limit not checked: Redis is unreachable (%s)", exc)
                count = 0
            if count <= limit:
                await app(scope, receive, send)
                return
            retry = max(1, math.ceil((window + 1) * WINDOW - now))
            body, headers = _too_many(found[0], limit, retry, "/api/" in path)
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 429,
                "headers": headers,
            }
            end: HTTPResponseBodyEvent = {
                "type": "http.response.body",
                "body": body,
                "more_body": False,
            }
            await send(start)
            await send(end)

        return middleware

    return wrap


__all__ = [
    "WINDOW",
    "Counter",
    "MemoryCounter",
    "RedisCounter",
    "rate_counter",
    "rate_limit_middleware",
    "request_key",
]
