"""Outage: the SQLite tenant database cannot grow (issue 12, deliver 4b).

The disk filling up is simulated with ``PRAGMA max_page_count`` on every connection of
the tenant's engine: SQLite then fails a growing write with ``SQLITE_FULL`` exactly as
on a full disk. Writes answer 507 in the JSON error shape and leave nothing behind,
reads are still served, ``PRAGMA integrity_check`` is clean afterwards, and writes work
again once there is room. A real server on a loopback port.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from browser_support import LiveServer
from helpers import PackageWriter, make_tenant
from ui_support import csrf_cookie, sign_in

TENANT = "acme"
NOTES = "x" * 6000  # two pages or so of text per record


@pytest.fixture
def served(tmp_path: Path, write_package: PackageWriter) -> Iterator[tuple[LiveServer, str]]:
    """A SQLite runtime served on a free port, and an admin token of ``acme``."""
    runtime = Runtime(RuntimeConfig(data_dir=tmp_path / "data", version_check_interval=0.0))
    token = make_tenant(runtime, write_package, TENANT)
    server = LiveServer(runtime)
    server.start()
    yield server, token
    server.stop()
    runtime.close()


class PageCap:
    """Caps the tenant file at its current size plus ``slack`` pages, on every connection."""

    def __init__(self, engine: sa.Engine, path: Path, slack: int) -> None:
        self.engine = engine
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.pages = int(conn.execute("PRAGMA page_count").fetchone()[0]) + slack

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count={self.pages:d}")

    def __enter__(self) -> PageCap:
        event.listen(self.engine, "connect", self._on_connect)
        self.engine.dispose()  # pooled connections reconnect with the cap
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "connect", self._on_connect)
        self.engine.dispose()


def _names(api: httpx.Client) -> list[str]:
    res = api.get(f"/t/{TENANT}/api/account?limit=500")
    assert res.status_code == 200, res.text
    return sorted(r["name"] for r in res.json()["items"])


def test_a_full_database_answers_507_keeps_reading_and_stays_intact(
    served: tuple[LiveServer, str],
) -> None:
    server, token = served
    path = server.runtime.config.data_dir / "tenants" / f"{TENANT}.db"
    engine = server.runtime.engines.tenant_engine(TENANT)
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    ) as api:
        first = api.post(f"/t/{TENANT}/api/account", json={"name": "Before"})
        assert first.status_code == 201, first.text
        saved = ["Before"]
        with PageCap(engine, path, slack=6):
            full = None
            for n in range(60):  # the cap leaves room for a few records at most
                res = api.post(f"/t/{TENANT}/api/account", json={"name": f"r{n}", "notes": NOTES})
                if res.status_code != 201:
                    full = res
                    break
                saved.append(f"r{n}")
            assert full is not None, "the capped database never filled up"
            assert full.status_code == 507, full.text
            assert "retry-after" not in full.headers
            assert full.headers["content-type"].startswith("application/json")
            assert full.json()["errors"]["__all__"][0].startswith("Storage is full")
            assert "Traceback" not in full.text and "sqlite" not in full.text.lower()
            # Still full: a second write is refused the same way; reads are served.
            again = api.post(f"/t/{TENANT}/api/account", json={"name": "More", "notes": NOTES})
            assert again.status_code == 507, again.text
            assert _names(api) == sorted(saved)
            one = api.get(f"/t/{TENANT}/api/account/{first.json()['id']}")
            assert one.status_code == 200 and one.json()["name"] == "Before"
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # Room again: writes go through, and the refused ones never appear.
        after = api.post(f"/t/{TENANT}/api/account", json={"name": "After", "notes": NOTES})
        assert after.status_code == 201, after.text
        assert _names(api) == sorted([*saved, "After"])


def test_a_screen_answers_a_readable_507_page_when_full(
    served: tuple[LiveServer, str],
) -> None:
    server, _token = served
    path = server.runtime.config.data_dir / "tenants" / f"{TENANT}.db"
    engine = server.runtime.engines.tenant_engine(TENANT)
    url = f"/t/{TENANT}/e/account"
    with httpx.Client(base_url=server.url, timeout=10) as web:
        assert sign_in(web, TENANT, f"admin@{TENANT}.test").status_code == 303  # type: ignore[arg-type]
        with PageCap(engine, path, slack=0):
            deadline = time.monotonic() + 20
            while True:
                res = web.post(
                    url,
                    data={"name": "Big", "notes": NOTES, "_csrf_token": csrf_cookie(web, url)},  # type: ignore[arg-type]
                    follow_redirects=False,
                )
                if res.status_code != 303 or time.monotonic() > deadline:
                    break
            assert res.status_code == 507
            assert res.headers["content-type"].startswith("text/html")
            assert "Storage is full" in res.text and "Traceback" not in res.text
            assert web.get(url).status_code == 200  # the list still reads
