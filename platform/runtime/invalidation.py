"""Cache invalidation across processes over Redis pub/sub.

A process that changes a tenant (a publish, a new tenant, roles, memberships, tokens)
publishes ``{"tenant": ..., "what": ..., "origin": ...}`` on one channel after the
commit; every process subscribed to it drops its cached state of that tenant at once.
Redis is an accelerator only: when it is down, a save still succeeds (the message is
lost and logged) and the periodic version checks bring processes up to date.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trellis.platform.config.redis_client import fast_failing_client, redis_error

if TYPE_CHECKING:
    from redis import Redis

LOG = logging.getLogger("trellis.invalidation")
#: Seconds to wait for a Redis connection, so a save never hangs on a missing server.
CONNECT_TIMEOUT = 0.5
#: Seconds to wait for Redis to confirm a subscription.
CONFIRM_SECONDS = 5.0
#: Seconds the subscriber waits for a message before checking whether to stop.
POLL_SECONDS = 0.2
#: Backoff between reconnection attempts: first and longest wait, in seconds.
MIN_BACKOFF = 0.2
MAX_BACKOFF = 10.0

OnMessage = Callable[[str, str], None]


def channel_name(schema_prefix: str = "") -> str:
    """The channel of one deployment (``schema_prefix`` keeps deployments apart)."""
    return f"trellis:{schema_prefix}invalidate"


def _client(url: str) -> Redis:
    return fast_failing_client(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_keepalive=True, health_check_interval=30
    )


class InvalidationPublisher:
    """Announces changes of a tenant to the other processes."""

    def __init__(self, url: str, channel: str, origin: str) -> None:
        self.channel = channel
        self.origin = origin
        self._url = url
        self._client: Redis | None = None
        self._lock = threading.Lock()

    def notify(self, tenant: str, what: str) -> bool:
        """Publish one change; returns False (and logs) when Redis cannot be reached."""
        body = json.dumps({"tenant": tenant, "what": what, "origin": self.origin})
        try:
            with self._lock:
                if self._client is None:
                    self._client = _client(self._url)
                client = self._client
            client.publish(self.channel, body)
        except (redis_error(), OSError) as exc:
            LOG.warning("could not announce %s of tenant %r over Redis: %s", what, tenant, exc)
            return False
        return True

    def close(self) -> None:
        """Close the Redis connections."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


def parse_message(data: Any, origin: str) -> tuple[str, str] | None:
    """The (tenant, what) of a message from another process, or None to ignore it."""
    try:
        body = json.loads(data)
        tenant, what = body["tenant"], body["what"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(tenant, str) or not isinstance(what, str) or body.get("origin") == origin:
        return None
    return tenant, what


class InvalidationSubscriber:
    """A daemon thread that listens on the channel and calls ``on_message``.

    It reconnects with a growing backoff when Redis goes away and never raises; after
    a reconnection ``on_resubscribe`` runs, since messages sent meanwhile were lost.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        origin: str,
        *,
        on_message: OnMessage,
        on_resubscribe: Callable[[], None],
    ) -> None:
        self.channel = channel
        self.origin = origin
        self._url = url
        self._on_message = on_message
        self._on_resubscribe = on_resubscribe
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fresh = False
        self._was_subscribed = False
        #: Set while subscribed (tests wait for it).
        self.subscribed = threading.Event()

    def start(self) -> InvalidationSubscriber:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="trellis-invalidation", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and close its connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        backoff = MIN_BACKOFF
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # never let the thread die: Redis is optional
                if self._fresh:  # it was subscribed: start the backoff again
                    backoff = MIN_BACKOFF
                LOG.warning("invalidation subscriber: %s; retrying in %.1fs", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _listen(self) -> None:
        """Subscribe and dispatch messages until stopped; raises when Redis goes away."""
        self._fresh = False
        client = _client(self._url)
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            # Wait for Redis to confirm, so nothing published from now on is missed.
            confirmed = pubsub.get_message(timeout=CONFIRM_SECONDS)
            if confirmed is None or confirmed.get("type") != "subscribe":
                raise ConnectionError(f"Redis did not confirm the subscription: {confirmed!r}")
            self._fresh = True
            if self._was_subscribed:
                self._on_resubscribe()
            self._was_subscribed = True
            self.subscribed.set()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=POLL_SECONDS)
                if message is not None and message.get("type") == "message":
                    self._dispatch(message.get("data"))
        finally:
            self.subscribed.clear()
            pubsub.close()
            client.close()

    def _dispatch(self, data: Any) -> None:
        parsed = parse_message(data, self.origin)
        if parsed is None:
            return
        try:
            self._on_message(*parsed)
        except Exception:  # a failing cache hook must not stop the listening
            LOG.exception("invalidation of tenant %r failed", parsed[0])


def new_origin() -> str:
    """A unique id of this process's runtime (its own messages are ignored)."""
    return uuid.uuid4().hex


__all__ = [
    "InvalidationPublisher",
    "InvalidationSubscriber",
    "channel_name",
    "new_origin",
    "parse_message",
]
