"""Sessions in Redis, shared by every process of a deployment.

Each session is one key ``<prefix>session:<sid>`` holding JSON, whose TTL is the idle
timeout (restarted on every use, so Redis itself forgets idle sessions); the absolute
lifetime and the idle time are also checked against the store's clock on every read.
A set ``<prefix>user-sessions:<user id>`` lists a user's session ids so that
"sign out everywhere" ends them all, in every process, at once.
"""

from __future__ import annotations

import functools
import json
import math
import secrets
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from trellis.platform.config import Clock, SystemClock
from trellis.platform.config.redis_client import redis_error
from trellis.platform.sessions.store import (
    ABSOLUTE_LIFETIME,
    IDLE_TIMEOUT,
    Session,
    SessionStoreUnavailableError,
)

if TYPE_CHECKING:
    from redis import Redis

DEFAULT_PREFIX = "trellis:"
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _reachable(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn "Redis cannot be reached" into :class:`SessionStoreUnavailableError`."""

    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except (redis_error(), OSError) as exc:
            raise SessionStoreUnavailableError(
                f"the session store cannot be reached: {exc}"
            ) from exc

    return call


def _encode(session: Session) -> str:
    return json.dumps(asdict(session), separators=(",", ":"))


def _decode(raw: Any) -> Session | None:
    """The session stored as ``raw``, or None when missing or not a session (corrupt key)."""
    if raw is None:
        return None
    try:
        data: dict[str, Any] = json.loads(raw)
        return Session(
            sid=str(data["sid"]),
            tenant=str(data["tenant"]),
            user_id=int(data["user_id"]),
            email=str(data["email"]),
            created_at=float(data["created_at"]),
            last_seen=float(data["last_seen"]),
            second_factor_pending=bool(data.get("second_factor_pending", False)),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


class RedisSessionStore:
    """The :class:`~trellis.platform.sessions.SessionStore` protocol over a Redis server."""

    def __init__(
        self,
        client: Redis,
        *,
        idle: float = IDLE_TIMEOUT,
        absolute: float = ABSOLUTE_LIFETIME,
        prefix: str = DEFAULT_PREFIX,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.idle = idle
        self.absolute = absolute
        self.prefix = prefix
        self.clock: Clock = clock or SystemClock()

    def _key(self, sid: str) -> str:
        return f"{self.prefix}session:{sid}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}user-sessions:{user_id}"

    @property
    def _idle_ttl(self) -> int:
        """The key's TTL in milliseconds: the idle timeout (at least 1 ms)."""
        return max(1, math.ceil(self.idle * 1000))

    def _store(self, session: Session) -> None:
        """Write a new session and list it under its user."""
        user_key = self._user_key(session.user_id)
        with self.client.pipeline() as pipe:
            pipe.set(self._key(session.sid), _encode(session), px=self._idle_ttl)
            pipe.sadd(user_key, session.sid)
            pipe.expire(user_key, max(1, math.ceil(self.absolute)))
            pipe.execute()

    @_reachable
    def create(
        self, tenant: str, user_id: int, email: str, *, second_factor_pending: bool = False
    ) -> Session:
        """Start a session with a fresh unguessable id."""
        now = self.clock.now().timestamp()
        session = Session(
            secrets.token_urlsafe(32), tenant, user_id, email, now, now, second_factor_pending
        )
        self._store(session)
        return session

    @_reachable
    def get(self, sid: str) -> Session | None:
        """The live session ``sid`` (its idle clock restarted), or None."""
        if not sid:
            return None
        raw = self.client.get(self._key(sid))
        session = _decode(raw)
        if session is None:
            return None
        now = self.clock.now().timestamp()
        if now - session.last_seen > self.idle or now - session.created_at > self.absolute:
            self.delete(sid)
            return None
        session = replace(session, last_seen=now)
        # xx=True: never bring back a session ended meanwhile (sign out everywhere).
        self.client.set(self._key(sid), _encode(session), px=self._idle_ttl, xx=True)
        return session

    @_reachable
    def complete_second_factor(self, sid: str) -> Session | None:
        """Mark the second factor done under a NEW id; the old id stops working at once."""
        raw = self.client.getdel(self._key(sid))
        session = _decode(raw)
        if session is None:
            return None
        self.client.srem(self._user_key(session.user_id), sid)
        renewed = replace(
            session,
            sid=secrets.token_urlsafe(32),
            second_factor_pending=False,
            last_seen=self.clock.now().timestamp(),
        )
        self._store(renewed)
        return renewed

    @_reachable
    def delete(self, sid: str) -> None:
        """End one session."""
        raw = self.client.getdel(self._key(sid))
        session = _decode(raw)
        if session is not None:
            self.client.srem(self._user_key(session.user_id), sid)

    @_reachable
    def delete_user(self, user_id: int) -> int:
        """End every session of ``user_id`` in every process; returns how many were live."""
        user_key = self._user_key(user_id)
        members: Any = self.client.smembers(user_key)
        sids = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        if not sids:
            return 0
        with self.client.pipeline() as pipe:
            pipe.delete(*(self._key(sid) for sid in sids))
            pipe.srem(user_key, *sids)
            removed, _ = pipe.execute()
        return int(removed)

    def close(self) -> None:
        """Close the Redis connections."""
        self.client.close()


__all__ = ["DEFAULT_PREFIX", "RedisSessionStore"]
