"""Outage: PostgreSQL restarted under an 8-client write load (issue 12, deliver 4c).

The test runs its own PostgreSQL cluster on a free loopback port and a Trellis server
over it, starts 8 client threads creating records through the API, then stops and
restarts PostgreSQL while they write. Requests during the outage answer 503 with
``Retry-After`` (never a 500 or a traceback); the engine pool recovers in the same
process (``pool_pre_ping``); every write acknowledged with 201 is there afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from outage_servers import PgCluster

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from browser_support import LiveServer
from helpers import PackageWriter, make_tenant

TENANT = "acme"
CLIENTS = 8


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster, running."""
    pg = PgCluster()
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def served(
    cluster: PgCluster, tmp_path: Path, write_package: PackageWriter
) -> Iterator[tuple[LiveServer, str]]:
    """Trellis over the private cluster, served on a free port; and an admin token."""
    config = RuntimeConfig(
        data_dir=tmp_path / "data", database_url=cluster.url, version_check_interval=0.0
    )
    runtime = Runtime(config)
    token = make_tenant(runtime, write_package, TENANT)
    server = LiveServer(runtime)
    server.start()
    yield server, token
    server.stop()
    runtime.close()


@dataclass
class Load:
    """What the writers saw: acknowledged names, refusals, and anything unexpected."""

    acked: list[str] = field(default_factory=list)
    refused: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def count(self) -> tuple[int, int]:
        with self.lock:
            return len(self.acked), self.refused


def _writer(base: str, token: str, client: int, load: Load) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=20) as api:
        n = 0
        while not load.stop.is_set():
            name = f"c{client}-{n}"
            n += 1
            try:
                res = api.post(f"/t/{TENANT}/api/account", json={"name": name})
            except httpx.HTTPError as exc:
                with load.lock:
                    load.unexpected.append(f"{name}: {exc!r}")
                continue
            with load.lock:
                if res.status_code == 201:
                    load.acked.append(name)
                elif (
                    res.status_code == 503
                    and res.headers.get("retry-after") == "2"
                    and res.json()["errors"]["__all__"][0].startswith("The database cannot")
                ):
                    load.refused += 1
                else:
                    load.unexpected.append(f"{name}: {res.status_code} {res.text[:300]}")
            if res.status_code == 503:
                time.sleep(0.05)


def _wait(what: str, ready: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _stored_names(api: httpx.Client) -> set[str]:
    names: set[str] = set()
    cursor: str | None = None
    while True:
        query = f"?limit=500&fields=name{f'&cursor={cursor}' if cursor else ''}"
        res = api.get(f"/t/{TENANT}/api/account{query}")
        assert res.status_code == 200, res.text
        body = res.json()
        names.update(r["name"] for r in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return names


def test_a_postgres_restart_under_write_load_loses_no_acknowledged_write(
    cluster: PgCluster, served: tuple[LiveServer, str]
) -> None:
    server, token = served
    load = Load()
    threads = [
        threading.Thread(target=_writer, args=(server.url, token, i, load), daemon=True)
        for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    try:
        _wait("writes before the restart", lambda: load.count()[0] >= 40)
        cluster.stop()
        _wait("refusals while PostgreSQL is down", lambda: load.count()[1] >= CLIENTS)
        before_restart = load.count()[0]
        cluster.start()
        _wait("writes after the restart", lambda: load.count()[0] >= before_restart + 40)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert load.unexpected == []
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=20
    ) as api:
        stored = _stored_names(api)
    missing = sorted(set(load.acked) - stored)
    assert missing == []
    assert len(load.acked) == len(set(load.acked))
