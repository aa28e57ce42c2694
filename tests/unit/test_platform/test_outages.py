"""The one table of database outages: real driver errors in, HTTP answers out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import psycopg.errors
import pytest
import sqlalchemy as sa
from outage_servers import free_port
from redis import Redis

from trellis.platform.db.outages import FULL, LOCKED, SESSIONS, UNAVAILABLE, Outage, classify
from trellis.platform.sessions import RedisSessionStore, SessionStoreUnavailableError


def _wrapped(orig: Exception, *, invalidated: bool = False) -> sa.exc.DBAPIError:
    return sa.exc.DBAPIError.instance(
        "SELECT 1", {}, orig, psycopg.Error, connection_invalidated=invalidated
    )


def _sqlite_failure(tmp_path: Path, sql: str, *, setup: str = "") -> sa.exc.DBAPIError:
    """Run ``sql`` on a real SQLite file through SQLAlchemy; return what it raised."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with engine.begin() as conn:
            for statement in filter(None, setup.split(";")):
                conn.exec_driver_sql(statement)
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
            conn.exec_driver_sql(sql)
        return caught.value
    finally:
        engine.dispose()


def test_a_full_sqlite_file_is_full(tmp_path: Path) -> None:
    setup = "CREATE TABLE t (v TEXT)"
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(setup)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count=3")
        with pytest.raises(sa.exc.DBAPIError) as caught:
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", ("x" * 20000,))
    engine.dispose()
    assert classify(caught.value) is FULL
    assert (FULL.status, FULL.retry_after, FULL.headers()) == (507, None, {})


def test_a_locked_sqlite_file_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (v)").connection.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        holder.rollback()
        engine.dispose()
    outage = classify(caught.value)
    assert outage is LOCKED and outage.headers() == {"Retry-After": "1"}
    assert outage.body() == {"errors": {"__all__": [outage.message]}}


def test_other_sqlite_errors_stay_defects(tmp_path: Path) -> None:
    assert classify(_sqlite_failure(tmp_path, "SELECT * FROM missing")) is None
    unique = _sqlite_failure(
        tmp_path,
        "INSERT INTO w VALUES (1)",
        setup="CREATE TABLE w (v UNIQUE);INSERT INTO w VALUES (1)",
    )
    assert isinstance(unique, sa.exc.IntegrityError) and classify(unique) is None


@pytest.mark.parametrize(
    ("orig", "expected"),
    [
        (psycopg.errors.DiskFull("no space"), FULL),
        (psycopg.errors.LockNotAvailable("lock timeout"), LOCKED),
        (psycopg.errors.AdminShutdown("terminating connection"), UNAVAILABLE),
        (psycopg.errors.CannotConnectNow("starting up"), UNAVAILABLE),
        (psycopg.errors.TooManyConnections("too many"), UNAVAILABLE),
        (psycopg.OperationalError("connection refused"), UNAVAILABLE),
        (psycopg.errors.UndefinedTable("no such table"), None),
        (psycopg.errors.DivisionByZero("division by zero"), None),
    ],
)
def test_postgres_errors_by_sqlstate(orig: Exception, expected: Outage | None) -> None:
    assert classify(_wrapped(orig)) is expected


def test_a_dropped_connection_and_an_exhausted_pool() -> None:
    assert classify(_wrapped(psycopg.errors.UndefinedTable("x"), invalidated=True)) is UNAVAILABLE
    assert classify(sa.exc.TimeoutError("QueuePool limit reached")) is LOCKED
    assert classify(ValueError("not a database error")) is None


def test_an_unreachable_session_store_is_a_sessions_outage() -> None:

    client = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    store = RedisSessionStore(client)
    with pytest.raises(SessionStoreUnavailableError) as caught:
        store.create("acme", 1, "a@acme.test")
    store.close()
    assert classify(caught.value) is SESSIONS
    assert (SESSIONS.status, SESSIONS.headers()) == (503, {"Retry-After": "2"})
