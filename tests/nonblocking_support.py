"""A request held inside the database, and probes that must answer meanwhile.

Shared by ``tests/e2e/test_no_blocking.py`` and ``bench/bench_no_blocking.py``: two CRM
tenants served by uvicorn on a free port; tenant A's account table is locked from a
separate connection (PostgreSQL ``LOCK TABLE … ACCESS EXCLUSIVE``, SQLite
``BEGIN EXCLUSIVE`` on the tenant's file) so a request creating an account there waits in
the database, while ``/health``, a read by id and a screen page of tenant B are timed.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import sqlalchemy as sa

from trellis.platform.runtime import Runtime

from browser_support import LiveServer
from ui_support import PASSWORD, crm_tenant

HELD = "held"
OTHER = "other"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Setup:
    """The served app with its two tenants, their tokens and a record of tenant B."""

    server: LiveServer
    tokens: dict[str, str]
    other_id: int
    screen: httpx.Client
    clients: list[httpx.Client] = field(default_factory=list)

    def close(self) -> None:
        """Close every client, then stop the server."""
        for client in [self.screen, *self.clients]:
            client.close()
        self.server.stop()


@dataclass
class Pending:
    """A request running in a background thread."""

    thread: threading.Thread
    started: float = field(default_factory=time.perf_counter)
    response: httpx.Response | None = None
    error: BaseException | None = None
    finished: float = 0.0

    @property
    def done(self) -> bool:
        """Whether the request has answered (or failed)."""
        return not self.thread.is_alive()

    @property
    def seconds(self) -> float:
        """How long the request took."""
        return self.finished - self.started


def start(send: Callable[[], httpx.Response]) -> Pending:
    """Send a request from a new thread; the result lands in the returned ``Pending``."""
    pending = Pending(threading.Thread(daemon=True))

    def run() -> None:
        try:
            pending.response = send()
        except BaseException as exc:  # reported by the test
            pending.error = exc
        pending.finished = time.perf_counter()

    pending.thread = threading.Thread(target=run, daemon=True)
    pending.started = time.perf_counter()
    pending.thread.start()
    return pending


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def serve(runtime: Runtime) -> Setup:
    """Two CRM tenants, an account in tenant B, a signed-in screen client of tenant B."""
    tokens = {}
    for name in (HELD, OTHER):
        crm_tenant(runtime, name)
        tokens[name] = runtime.registry.create_token(name, f"admin@{name}.test")
    server = LiveServer(runtime)
    server.start()
    created = httpx.post(
        f"{server.url}/t/{OTHER}/api/account",
        json={"name": "Probe Ltd"},
        headers={"Authorization": f"Bearer {tokens[OTHER]}"},
        timeout=60,  # a busy machine: no 5 s default on the first write
    )
    assert created.status_code == 201, created.text
    screen = httpx.Client(base_url=server.url, timeout=60)
    form = screen.get(f"/t/{OTHER}/login")
    token = CSRF_FIELD.search(form.text)
    assert token is not None, form.text
    signed = screen.post(
        f"/t/{OTHER}/login",
        data={"email": f"admin@{OTHER}.test", "password": PASSWORD, "_csrf_token": token[1]},
    )
    assert signed.status_code == 303, signed.text
    return Setup(server, tokens, int(created.json()["id"]), screen)


def api(setup: Setup, tenant: str) -> httpx.Client:
    """A client of ``tenant``'s JSON API with its admin token."""
    client = httpx.Client(
        base_url=f"{setup.server.url}/t/{tenant}/api",
        headers={"Authorization": f"Bearer {setup.tokens[tenant]}"},
        timeout=60,
    )
    setup.clients.append(client)
    return client


def probes(setup: Setup) -> dict[str, Callable[[], httpx.Response]]:
    """The requests that must answer while tenant A's request waits in the database."""
    other = api(setup, OTHER)
    plain = httpx.Client(base_url=setup.server.url, timeout=60)
    setup.clients.append(plain)
    return {
        "GET /health": lambda: plain.get("/health"),
        "GET tenant B account by id": lambda: other.get(f"account/{setup.other_id}"),
        "GET tenant B screen (account list)": lambda: setup.screen.get(f"/t/{OTHER}/e/account"),
    }


def _sqlite_writer_waiting() -> bool:
    """Whether some thread waits in SQLite for the write lock (``BEGIN IMMEDIATE``)."""
    for frame in sys._current_frames().values():
        while frame is not None:
            statement = frame.f_locals.get("statement")
            if isinstance(statement, str) and statement == "BEGIN IMMEDIATE":
                return True
            frame = frame.f_back  # type: ignore[assignment]
    return False


@contextmanager
def held_account_table(runtime: Runtime) -> Iterator[Callable[[], bool]]:
    """Lock tenant A's account table; yields "does a request wait for the lock?"."""
    config = runtime.config
    if config.database_url:
        schema = runtime.engines.tenant_schema(HELD)
        engine = sa.create_engine(config.database_url, poolclass=sa.pool.NullPool)
        watcher = sa.create_engine(config.database_url, poolclass=sa.pool.NullPool)
        waiting_sql = sa.text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = CAST(:t AS regclass)"
        )
        table = f'"{schema}".account'

        def pg_waiting() -> bool:
            with watcher.connect() as conn:
                return bool(conn.execute(waiting_sql, {"t": table}).scalar())

        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                yield pg_waiting
                conn.rollback()
        finally:
            engine.dispose()
            watcher.dispose()
        return
    path = config.data_dir / "tenants" / f"{HELD}.db"
    lock = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        yield _sqlite_writer_waiting
        lock.execute("ROLLBACK")
    finally:
        lock.close()


def create_held(setup: Setup) -> Callable[[], httpx.Response]:
    """The request of tenant A that waits: create an account (a write)."""
    held = api(setup, HELD)
    return lambda: held.post("account", json={"name": "Held Corp"})
