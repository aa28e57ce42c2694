"""Engines for the system database and for tenant data, with SQLite made transactional."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from trellis.platform.config import RuntimeConfig
from trellis.rules.expr import install_sqlite_functions

#: Execution option marking a connection that will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "trellis_write"
#: Execution option naming the tenant of a tenant connection.
TENANT_OPTION = "trellis_tenant"
#: Keys in a pooled connection's ``info``: outbox rows written in the open transaction,
#: then committed (announced when the connection goes back to the pool).
_OUTBOX_WRITTEN = "trellis_outbox_written"
_OUTBOX_COMMITTED = "trellis_outbox_committed"


def mark_outbox_write(conn: sa.Connection) -> None:
    """Note that the transaction on ``conn`` wrote outbox rows.

    When it commits, the engine registry tells its outbox listeners (the job thread
    wakes at once instead of at its next poll).
    """
    tenant = conn.get_execution_options().get(TENANT_OPTION)
    if tenant is not None:
        conn.info[_OUTBOX_WRITTEN] = tenant


def _make_sqlite_transactional(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """Let SQLAlchemy, not pysqlite, issue BEGIN, so DDL is rolled back with the rest.

    This is SQLAlchemy's documented recipe for the pysqlite driver. A writer waits
    ``busy_timeout_ms`` for another's lock, then fails with "database is locked"
    (an outage: 503, platform/db/outages.py).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # Rule filters lower-case Unicode text the way closures and PostgreSQL do.
        install_sqlite_functions(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front: a deferred BEGIN that later upgrades
        # fails at once with "database is locked" instead of waiting its turn.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_engine(path: Path, busy_timeout: float = 10.0) -> sa.Engine:
    """Create an engine over one SQLite file, creating its folder when needed.

    ``busy_timeout`` is in seconds (``TRELLIS_SQLITE_BUSY_TIMEOUT``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        f"sqlite:///{path}",
        pool_size=8,
        max_overflow=8,
        connect_args={"timeout": busy_timeout},
    )
    _make_sqlite_transactional(engine, round(busy_timeout * 1000))
    return engine


def postgres_engine(url: str) -> sa.Engine:
    """Create a PostgreSQL engine with a modest pool."""
    return sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def _outbox_committed(conn: sa.Connection) -> None:
    if conn.invalidated:  # the database connection is gone (and its ``info`` with it)
        return
    tenant = conn.info.pop(_OUTBOX_WRITTEN, None)
    if tenant is not None:
        conn.info[_OUTBOX_COMMITTED] = tenant


def _outbox_rolled_back(conn: sa.Connection) -> None:
    # A connection the server dropped is invalidated: reading its ``info`` would try to
    # reconnect inside the rollback and fail (PendingRollbackError, a 500 instead of 503).
    if not conn.invalidated:
        conn.info.pop(_OUTBOX_WRITTEN, None)


class EngineRegistry:
    """Hands out the system engine and per-tenant engines, bounded by an LRU.

    On PostgreSQL every tenant shares one engine (schemas separate them); on SQLite
    each tenant has its own file and engine, and the least recently used engines
    are disposed past ``max_sqlite_engines``.
    """

    def __init__(self, config: RuntimeConfig, *, max_sqlite_engines: int = 64) -> None:
        self.config = config
        self._max = max_sqlite_engines
        self._lock = threading.Lock()
        self._tenant_engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._outbox_listeners: list[Callable[[str], None]] = []
        if config.database_url and config.is_postgres:
            self._shared: sa.Engine | None = postgres_engine(config.database_url)
            self.system = self._shared
            self._watch_outbox(self._shared)
        elif config.database_url:
            raise ValueError(
                f"TRELLIS_DATABASE_URL '{config.database_url}' is not supported: use a "
                "postgresql+psycopg:// URL, or leave it unset for the embedded SQLite default."
            )
        else:
            self._shared = None
            self.system = sqlite_engine(config.data_dir / "system.db", config.sqlite_busy_timeout)

    @property
    def system_schema(self) -> str | None:
        """Schema of the system tables (None on SQLite)."""
        return f"{self.config.schema_prefix}trellis" if self._shared is not None else None

    def tenant_schema(self, tenant: str) -> str | None:
        """Schema of a tenant's tables (None on SQLite, where the file separates tenants)."""
        if self._shared is None:
            return None
        return f"{self.config.schema_prefix}t_{tenant.replace('-', '_')}"

    def tenant_engine(self, tenant: str) -> sa.Engine:
        """Return the engine holding ``tenant``'s data."""
        if self._shared is not None:
            return self._shared
        with self._lock:
            engine = self._tenant_engines.get(tenant)
            if engine is not None:
                self._tenant_engines.move_to_end(tenant)
                return engine
            engine = sqlite_engine(
                self.config.data_dir / "tenants" / f"{tenant}.db", self.config.sqlite_busy_timeout
            )
            self._watch_outbox(engine)
            self._tenant_engines[tenant] = engine
            while len(self._tenant_engines) > self._max:
                _, old = self._tenant_engines.popitem(last=False)
                old.dispose()
            return engine

    def tenant_connection(self, tenant: str, *, write: bool = False) -> sa.Connection:
        """Open a connection whose schema-less tables resolve to ``tenant``'s schema."""
        options: dict[str, Any] = {WRITE_OPTION: write, TENANT_OPTION: tenant}
        schema = self.tenant_schema(tenant)
        if schema is not None:
            options["schema_translate_map"] = {None: schema}
        return self.tenant_engine(tenant).connect().execution_options(**options)

    # outbox commits ------------------------------------------------------------------
    def on_outbox_commit(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(tenant)`` after each commit that wrote outbox rows."""
        self._outbox_listeners.append(listener)

    def remove_outbox_listener(self, listener: Callable[[str], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._outbox_listeners:
            self._outbox_listeners.remove(listener)

    def _watch_outbox(self, engine: sa.Engine) -> None:
        # "commit" fires before the database commits, so the news waits until the
        # connection is checked in, when the rows are visible to other connections.
        event.listen(engine, "commit", _outbox_committed)
        event.listen(engine, "rollback", _outbox_rolled_back)
        event.listen(engine.pool, "checkin", self._outbox_checked_in)

    def _outbox_checked_in(self, _dbapi_conn: Any, record: Any) -> None:
        tenant = record.info.pop(_OUTBOX_COMMITTED, None) if record is not None else None
        if tenant is None:
            return
        for listener in list(self._outbox_listeners):
            listener(tenant)

    def system_connection(self, *, write: bool = False) -> sa.Connection:
        """Open a connection to the system database."""
        options: dict[str, Any] = {WRITE_OPTION: write}
        if self.system_schema is not None:
            options["schema_translate_map"] = {None: self.system_schema}
        return self.system.connect().execution_options(**options)

    def dispose(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            for engine in self._tenant_engines.values():
                engine.dispose()
            self._tenant_engines.clear()
        self.system.dispose()


__all__ = [
    "TENANT_OPTION",
    "WRITE_OPTION",
    "EngineRegistry",
    "mark_outbox_write",
    "postgres_engine",
    "sqlite_engine",
]
