"""Sessions in the system database: the store Redis falls back to (DESIGN.md §3).

One row per session in ``web_sessions`` with the same idle timeout and absolute
lifetime as the other stores, checked against the store's clock on every read (the
row's ``last_seen`` is written back on each use). Ids carry the prefix ``d.`` (a
character ``secrets.token_urlsafe`` never produces), so a store in front of several
stores knows where a session lives without asking each one.
``session_revocations`` records "sign out everywhere" for sessions a database store
cannot reach itself (Redis down): see :mod:`trellis.platform.sessions.fallback`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from trellis.platform.config import Clock, SystemClock
from trellis.platform.sessions.store import ABSOLUTE_LIFETIME, IDLE_TIMEOUT, Session

#: The prefix of every database session id.
DB_SID_PREFIX = "d."
#: A connection to the system database (``TenantRegistry.connect``).
Connect = Callable[..., sa.Connection]


def is_database_sid(sid: str) -> bool:
    """Whether ``sid`` names a database session."""
    return sid.startswith(DB_SID_PREFIX)


def _session(row: Any) -> Session:
    return Session(
        sid=str(row.sid),
        tenant=str(row.tenant),
        user_id=int(row.user_id),
        email=str(row.email),
        created_at=float(row.created_at),
        last_seen=float(row.last_seen),
        second_factor_pending=bool(row.second_factor_pending),
    )


class DatabaseSessionStore:
    """The :class:`~trellis.platform.sessions.SessionStore` protocol over the system database."""

    def __init__(
        self,
        connect: Connect,
        tables: sa.MetaData,
        *,
        idle: float = IDLE_TIMEOUT,
        absolute: float = ABSOLUTE_LIFETIME,
        clock: Clock | None = None,
    ) -> None:
        """``tables`` holds ``web_sessions`` (``TenantRegistry.metadata``)."""
        self._connect = connect
        self.table = tables.tables["web_sessions"]
        self.revocations = tables.tables["session_revocations"]
        self.idle = idle
        self.absolute = absolute
        self.clock: Clock = clock or SystemClock()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.last_seen > self.idle or now - session.created_at > self.absolute

    def _insert(self, session: Session) -> None:
        t = self.table
        now = session.last_seen
        stale = sa.or_(t.c.last_seen < now - self.idle, t.c.created_at < now - self.absolute)
        with self._connect(write=True) as conn, conn.begin():
            conn.execute(t.delete().where(stale))  # forget ended sessions as new ones start
            conn.execute(
                t.insert().values(
                    sid=session.sid,
                    tenant=session.tenant,
                    user_id=session.user_id,
                    email=session.email,
                    created_at=session.created_at,
                    last_seen=session.last_seen,
                    second_factor_pending=session.second_factor_pending,
                )
            )

    def create(
        self, tenant: str, user_id: int, email: str, *, second_factor_pending: bool = False
    ) -> Session:
        """Start a session with a fresh unguessable id (prefixed ``d.``)."""
        now = self._now()
        sid = DB_SID_PREFIX + secrets.token_urlsafe(32)
        session = Session(sid, tenant, user_id, email, now, now, second_factor_pending)
        self._insert(session)
        return session

    def get(self, sid: str) -> Session | None:
        """The live session ``sid`` (its idle clock restarted), or None."""
        if not sid or not is_database_sid(sid):
            return None
        t = self.table
        now = self._now()
        with self._connect(write=True) as conn, conn.begin():
            row = conn.execute(sa.select(t).where(t.c.sid == sid)).first()
            if row is None:
                return None
            session = _session(row)
            if self._expired(session, now):
                conn.execute(t.delete().where(t.c.sid == sid))
                return None
            conn.execute(t.update().where(t.c.sid == sid).values(last_seen=now))
        return Session(
            session.sid,
            session.tenant,
            session.user_id,
            session.email,
            session.created_at,
            now,
            session.second_factor_pending,
        )

    def complete_second_factor(self, sid: str) -> Session | None:
        """Mark the second factor done under a NEW id; the old id stops working at once."""
        if not is_database_sid(sid):
            return None
        t = self.table
        with self._connect(write=True) as conn, conn.begin():
            row = conn.execute(sa.select(t).where(t.c.sid == sid)).first()
            if row is None or conn.execute(t.delete().where(t.c.sid == sid)).rowcount != 1:
                return None
        old = _session(row)
        renewed = Session(
            DB_SID_PREFIX + secrets.token_urlsafe(32),
            old.tenant,
            old.user_id,
            old.email,
            old.created_at,
            self._now(),
            False,
        )
        self._insert(renewed)
        return renewed

    def delete(self, sid: str) -> None:
        """End one session."""
        with self._connect(write=True) as conn, conn.begin():
            conn.execute(self.table.delete().where(self.table.c.sid == sid))

    def delete_user(self, user_id: int) -> int:
        """End every database session of ``user_id``; returns how many were live."""
        t = self.table
        now = self._now()
        live = sa.and_(t.c.last_seen >= now - self.idle, t.c.created_at >= now - self.absolute)
        with self._connect(write=True) as conn, conn.begin():
            count = conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.user_id == user_id, live)
            ).scalar_one()
            conn.execute(t.delete().where(t.c.user_id == user_id))
        return int(count)

    def revoke_user(self, user_id: int) -> None:
        """Record that every session of ``user_id`` started until now has ended.

        For sessions this store cannot delete itself (in Redis while it is down);
        records older than the absolute lifetime are forgotten (their sessions are over).
        """
        r = self.revocations
        now = self._now()
        with self._connect(write=True) as conn, conn.begin():
            conn.execute(
                r.delete().where(
                    sa.or_(r.c.user_id == user_id, r.c.revoked_at < now - self.absolute)
                )
            )
            conn.execute(r.insert().values(user_id=user_id, revoked_at=now))

    def revoked(self) -> dict[int, float]:
        """When each user's sessions were last revoked (user id → seconds since the epoch)."""
        r = self.revocations
        with self._connect() as conn:
            rows = conn.execute(sa.select(r.c.user_id, r.c.revoked_at)).all()
        return {int(row.user_id): float(row.revoked_at) for row in rows}

    def close(self) -> None:
        """The registry owns the connections: nothing to release."""


__all__ = [
    "DB_SID_PREFIX",
    "DatabaseSessionStore",
    "is_database_sid",
]
