"""Outage: a SQLite tenant database locked past the busy timeout (issue 12, deliver 4a).

Another process holds the write lock (``BEGIN IMMEDIATE`` on its own connection) for
longer than ``TRELLIS_SQLITE_BUSY_TIMEOUT``: writes answer 503 with ``Retry-After`` in
the JSON error shape (screens: a readable 503 page), write nothing, reads go on (WAL),
and writes work again as soon as the lock is gone. A real server on a loopback port.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from browser_support import LiveServer
from helpers import PackageWriter, make_tenant
from ui_support import csrf_cookie, sign_in

TENANT = "acme"


@pytest.fixture
def served(tmp_path: Path, write_package: PackageWriter) -> Iterator[tuple[LiveServer, str]]:
    """A SQLite runtime with a 0.3 s busy timeout, served on a free port; and a token."""
    config = RuntimeConfig(
        data_dir=tmp_path / "data", version_check_interval=0.0, sqlite_busy_timeout=0.3
    )
    runtime = Runtime(config)
    token = make_tenant(runtime, write_package, TENANT)
    server = LiveServer(runtime)
    server.start()
    yield server, token
    server.stop()
    runtime.close()


def _lock(data_dir: Path) -> sqlite3.Connection:
    """Hold the write lock of the tenant's file from another connection."""
    conn = sqlite3.connect(data_dir / "tenants" / f"{TENANT}.db", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _count(api: httpx.Client) -> int:
    res = api.get(f"/t/{TENANT}/api/account")
    assert res.status_code == 200, res.text
    return len(res.json()["items"])


def test_a_locked_database_answers_503_writes_nothing_and_recovers(
    served: tuple[LiveServer, str],
) -> None:
    server, token = served
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as api:
        first = api.post(f"/t/{TENANT}/api/account", json={"name": "Before"})
        assert first.status_code == 201, first.text
        record = first.json()

        holder = _lock(server.runtime.config.data_dir)
        try:
            for res in (
                api.post(f"/t/{TENANT}/api/account", json={"name": "During"}),
                api.patch(
                    f"/t/{TENANT}/api/account/{record['id']}",
                    json={"name": "Changed", "version": record["version"]},
                ),
                api.delete(f"/t/{TENANT}/api/account/{record['id']}"),
            ):
                assert res.status_code == 503, res.text
                assert res.headers["retry-after"] == "1"
                assert res.headers["content-type"].startswith("application/json")
                message = res.json()["errors"]["__all__"][0]
                assert "busy" in message and "nothing was saved" in message
                assert "Traceback" not in res.text and "sqlite" not in res.text.lower()
            # Readers do not wait for the writer (WAL): the list and the record still answer.
            assert _count(api) == 1
            read = api.get(f"/t/{TENANT}/api/account/{record['id']}")
            assert read.status_code == 200 and read.json()["name"] == "Before"
        finally:
            holder.rollback()
            holder.close()

        after = api.post(f"/t/{TENANT}/api/account", json={"name": "After"})
        assert after.status_code == 201, after.text
        names = sorted(r["name"] for r in api.get(f"/t/{TENANT}/api/account").json()["items"])
        assert names == ["After", "Before"]  # the refused writes left nothing behind
        assert api.get(f"/t/{TENANT}/api/account/{record['id']}").json()["version"] == 1


def test_a_screen_answers_a_readable_503_page_while_locked(
    served: tuple[LiveServer, str],
) -> None:
    server, _token = served
    with httpx.Client(base_url=server.url, timeout=10) as web:
        signed = sign_in(web, TENANT, f"admin@{TENANT}.test")  # type: ignore[arg-type]
        assert signed.status_code == 303, signed.text
        url = f"/t/{TENANT}/e/account"
        holder = _lock(server.runtime.config.data_dir)
        try:
            listing = web.get(url)
            assert listing.status_code == 200  # reading screens keep working
            res = web.post(
                url,
                data={"name": "Locked out", "_csrf_token": csrf_cookie(web, url)},  # type: ignore[arg-type]
            )
            assert res.status_code == 503
            assert res.headers["retry-after"] == "1"
            assert res.headers["content-type"].startswith("text/html")
            assert "busy with another change" in res.text and "Traceback" not in res.text
        finally:
            holder.rollback()
            holder.close()
        deadline = time.monotonic() + 10
        while True:
            res = web.post(
                url,
                data={"name": "Saved", "_csrf_token": csrf_cookie(web, url)},  # type: ignore[arg-type]
                follow_redirects=False,
            )
            if res.status_code == 303 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert res.status_code == 303, res.text
        assert "Locked out" not in web.get(url).text and "Saved" in web.get(url).text
