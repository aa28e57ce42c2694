"""Which database (and session store) failures are outages, and what HTTP answer each one gets.

One table for the JSON API and the screens (``platform/api/app.py`` turns an
:class:`Outage` into a JSON error or an HTML page). A failure that is not listed here
is a defect and stays a 500:

========================  ======  ===============  ===========================================
kind                      status  ``Retry-After``  when
========================  ======  ===============  ===========================================
``locked``                503     1                SQLite: another writer held the lock past the
                                                   busy timeout; PostgreSQL: a lock timeout
                                                   (55P03); the engine's pool stayed exhausted
``unavailable``           503     2                PostgreSQL cannot be reached, is shutting down
                                                   or starting up, or dropped the connection
``sessions``              503     2                the session store (Redis) cannot be reached:
                                                   screens cannot sign anyone in; API tokens
                                                   keep working
``full``                  507     none             the disk or the database's size limit is full
                                                   (SQLite ``SQLITE_FULL``, PostgreSQL 53100);
                                                   reads still work, writes wait for an operator
========================  ======  ===============  ===========================================

Every one of them rolls the transaction back, so nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from trellis.platform.sessions.store import SessionStoreUnavailableError

#: SQLite result names (``sqlite3.Error.sqlite_errorname``) and what they mean here.
_SQLITE_LOCKED = ("SQLITE_BUSY", "SQLITE_LOCKED")
_SQLITE_FULL = "SQLITE_FULL"
#: Message fragments of the same conditions (older drivers carry no result name).
_SQLITE_LOCKED_TEXT = ("database is locked", "database table is locked")
_SQLITE_FULL_TEXT = "database or disk is full"
#: PostgreSQL SQLSTATEs: disk full, lock not available, and the classes of a server that
#: is gone or going (08 connection exception, 57P admin/crash shutdown or starting up).
_PG_FULL = "53100"
_PG_LOCKED = "55P03"
_PG_UNAVAILABLE_PREFIXES = ("08", "57P", "53")


@dataclass(frozen=True, slots=True)
class Outage:
    """A database failure the client can do nothing about but wait (or call an operator)."""

    kind: str
    status: int
    message: str
    #: Seconds a client should wait before trying again; None: not until someone acts.
    retry_after: int | None

    def headers(self) -> dict[str, str]:
        """Response headers of the answer (``Retry-After`` when there is one)."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def body(self) -> dict[str, object]:
        """The JSON error body (DESIGN.md §7 shape)."""
        return {"errors": {"__all__": [self.message]}}


LOCKED = Outage(
    "locked",
    503,
    "The database is busy with another change; nothing was saved. Try again in a moment.",
    1,
)
UNAVAILABLE = Outage(
    "unavailable",
    503,
    "The database cannot be reached right now; nothing was saved. Try again in a moment.",
    2,
)
SESSIONS = Outage(
    "sessions",
    503,
    "Signing in is not possible right now: the session service cannot be reached. "
    "Try again in a moment; API tokens keep working.",
    2,
)
FULL = Outage(
    "full",
    507,
    "Storage is full: the database cannot grow, so nothing was saved. Reading still works; "
    "an administrator must free or add space.",
    None,
)


def _sqlite_outage(orig: BaseException) -> Outage | None:
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    text = str(orig).lower()
    if name.startswith(_SQLITE_FULL) or _SQLITE_FULL_TEXT in text:
        return FULL
    if name.startswith(_SQLITE_LOCKED) or any(t in text for t in _SQLITE_LOCKED_TEXT):
        return LOCKED
    return None


def _postgres_outage(orig: BaseException, invalidated: bool) -> Outage | None:
    state = getattr(orig, "sqlstate", None)
    if state == _PG_FULL:
        return FULL
    if state == _PG_LOCKED:
        return LOCKED
    if invalidated or (state and str(state).startswith(_PG_UNAVAILABLE_PREFIXES)):
        return UNAVAILABLE
    if state is None and type(orig).__name__ in ("OperationalError", "InterfaceError"):
        return UNAVAILABLE  # the driver's own failure to connect or talk: no SQLSTATE
    return None


def classify(exc: BaseException) -> Outage | None:
    """The :class:`Outage` ``exc`` stands for, or None when it is not an outage."""
    if isinstance(exc, SessionStoreUnavailableError):
        return SESSIONS
    if isinstance(exc, sa.exc.TimeoutError):  # no pooled connection came free in time
        return LOCKED
    if not isinstance(exc, sa.exc.DBAPIError) or isinstance(exc, sa.exc.IntegrityError):
        return None
    orig = exc.orig
    if orig is None:
        return UNAVAILABLE if exc.connection_invalidated else None
    if type(orig).__module__.startswith("sqlite3"):
        return _sqlite_outage(orig)
    return _postgres_outage(orig, exc.connection_invalidated)


__all__ = ["FULL", "LOCKED", "SESSIONS", "UNAVAILABLE", "Outage", "classify"]
