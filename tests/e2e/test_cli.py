"""The trellis command line, run as a real process against SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import PG_URL, REPO_ROOT, drop_schemas
from helpers import PackageWriter

CRM = REPO_ROOT / "seed" / "crm"


@pytest.fixture(params=["sqlite", "postgres"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for CLI processes: a fresh data dir, and PostgreSQL schemas if asked."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRELLIS_")}
    base["TRELLIS_DATA_DIR"] = str(tmp_path / "data")
    if request.param == "sqlite":
        yield base
        return
    prefix = f"c{uuid.uuid4().hex[:10]}_"
    yield {**base, "TRELLIS_DATABASE_URL": PG_URL, "TRELLIS_SCHEMA_PREFIX": prefix}
    drop_schemas(PG_URL, prefix)


def trellis(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trellis", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_metadata_validate(env: dict[str, str], write_package: PackageWriter) -> None:
    ok = trellis(env, "metadata", "validate", str(CRM))
    assert ok.returncode == 0, ok.stderr
    assert "no errors" in ok.stdout
    broken = write_package(
        {
            "deal": "fields:\n  amount: {type: decimall}\n  owner: {type: reference, to: acount}\n",
            "other": "fields:\n  x: {type: string, requird: true}\n",
        }
    )
    bad = trellis(env, "metadata", "validate", str(broken))
    assert bad.returncode == 1
    lines = [line for line in bad.stderr.splitlines() if ": error " in line]
    assert len(lines) == 3, bad.stderr
    assert "deal.yaml:2:" in lines[0] and "did you mean 'decimal'" in lines[0]
    assert "did you mean 'account'" in bad.stderr or "acount" in bad.stderr
    assert "other.yaml:2:" in lines[2] and "did you mean 'required'" in lines[2]


def test_tenant_create_token_and_publish(env: dict[str, str], write_package: PackageWriter) -> None:
    created = trellis(
        env,
        "tenant",
        "create",
        "acme",
        "--template",
        "crm",
        "--admin",
        "boss@acme.test",
        "--password",
        "s3cret-pass",
        "--verbose",
    )
    assert created.returncode == 0, created.stderr
    assert "create table opportunity" in created.stdout
    again = trellis(
        env,
        "tenant",
        "create",
        "acme",
        "--template",
        "crm",
        "--admin",
        "boss@acme.test",
        "--password",
        "s3cret-pass",
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_name = trellis(
        env, "tenant", "create", "Bad_Name", "--admin", "a@b.test", "--password", "s3cret-pass"
    )
    assert bad_name.returncode == 1 and "not valid" in bad_name.stderr

    token = trellis(env, "token", "create", "acme", "boss@acme.test")
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().splitlines()[-1].startswith("trl_")
    stranger = trellis(env, "token", "create", "acme", "nobody@acme.test")
    assert stranger.returncode == 1

    extra = write_package({"invoice": "fields:\n  number: {type: string}\n"})
    dry = trellis(env, "publish", "acme", str(extra), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "create table invoice" in dry.stdout and "Dry run" in dry.stdout
    assert "drop table account" in dry.stdout and "not applied" in dry.stdout
    real = trellis(env, "publish", "acme", str(extra))
    assert real.returncode == 0, real.stderr
    assert "Published as version 2" in real.stdout
    invalid = write_package({"invoice": "fields:\n  number: {type: strin}\n"})
    refused = trellis(env, "publish", "acme", str(invalid))
    assert refused.returncode == 1
    assert "did you mean 'string'" in refused.stderr
    assert "nothing was applied" in refused.stderr
    missing = trellis(env, "publish", "nowhere", str(extra))
    assert missing.returncode == 1 and "No tenant" in missing.stderr


def test_a_bad_setting_stops_serve_before_it_opens_the_port(env: dict[str, str]) -> None:
    port = _free_port()
    bad = {**env, "TRELLIS_SESSION_IDLE_MINUTES": "abc", "TRELLIS_REDIS_URL": "cache:6379"}
    done = trellis(bad, "serve", "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: TRELLIS_REDIS_URL has value 'cache:6379'. Not a Redis URL: use "
        "redis://host:6379/0.",
        "error: TRELLIS_SESSION_IDLE_MINUTES has value 'abc'. Not a number.",
    ]
    assert done.stdout == ""  # never got as far as printing the URL it would serve
    assert not Path(env["TRELLIS_DATA_DIR"]).exists()  # nothing written either


def test_a_bad_setting_stops_the_worker_before_it_connects(env: dict[str, str]) -> None:
    bad = {**env, "TRELLIS_REDIS_URL": "redis://127.0.0.1:6379/11", "TRELLIS_RQ_QUEUE": "a b"}
    done = trellis(bad, "worker", "--burst")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: TRELLIS_RQ_QUEUE has value 'a b'. A queue name has no spaces, e.g. trellis-jobs."
    )
    assert done.stdout == "" and not Path(env["TRELLIS_DATA_DIR"]).exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def _root(url: str, accept: str) -> tuple[int, str, str]:
    """``GET /`` without following redirects: status, Location, body."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, "", response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("location", ""), exc.read().decode()


def test_serve_creates_demo_and_picks_up_publishes(
    env: dict[str, str], write_package: PackageWriter
) -> None:
    customer = write_package({"thing": "fields:\n  name: {type: string}\n"})
    created = trellis(
        env, "tenant", "create", "aardvark", "--template", str(customer),
        "--admin", "boss@aardvark.test", "--password", "s3cret-pass",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    # One summary line; the plan only with --verbose.
    assert created.stdout.splitlines() == [
        "Tenant 'aardvark' created from testapp 1.0.0, 1 entity; admin: boss@aardvark.test."
    ]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "trellis", "serve", "--port", str(port)],
        env={**env, "TRELLIS_DEMO_SCALE": "0.01"},  # a small demo: 5 accounts
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if line.startswith("Try: curl"):
                break
        output = "".join(lines)
        assert f"http://127.0.0.1:{port}" in output, output
        # The secrets are in an owner-only file of the data dir, never in the output.
        credentials = Path(env["TRELLIS_DATA_DIR"]) / "demo-credentials.txt"
        assert f"are in {credentials} (readable by you only)" in output, output
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        saved = dict(ln.split(": ", 1) for ln in credentials.read_text().splitlines())
        token, password = saved["token"], saved["password"]
        assert saved["admin"] == "admin@demo.test" and len(password) >= 12
        assert token not in output and password not in output
        base = f"http://127.0.0.1:{port}/t/demo/api"
        for _ in range(100):
            try:
                status, body = _get(f"{base}/account", token)
                break
            except OSError:
                time.sleep(0.1)
        # The demo tenant has the CRM's demo data at TRELLIS_DEMO_SCALE.
        assert status == 200 and body["items"] and all(a["name"] for a in body["items"])
        root = f"http://127.0.0.1:{port}/"
        assert _root(root, "text/html") == (303, "/t/demo/login", "")  # serve's demo tenant
        code, _, text = _root(root, "application/json")
        assert code == 200 and "aardvark" not in text and "demo" not in text
        extra = write_package({"invoice": "fields:\n  number: {type: string}\n"})
        # The demo data lives in the CRM entities this package drops.
        published = trellis(env, "publish", "demo", str(extra), "--allow-destructive")
        assert published.returncode == 0, published.stderr
        # The server sees the publish at its next version check (every second): poll it
        # in 0.1 s steps, for up to a minute on a busy machine.
        deadline = time.monotonic() + 60.0
        status, body = _get(f"{base}/invoice", token)
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
            status, body = _get(f"{base}/invoice", token)
        assert status == 200, body
        server.terminate()
        server.wait(timeout=30)
        logged = server.stdout.read()
        # One access-log line per request; the libraries' INFO lines stay out.
        route = "GET /t/{tenant}/api/{entity} 200 "
        assert any(route in ln and ln.endswith("tenant=demo") for ln in logged.splitlines())
        assert "alembic" not in logged and "casbin" not in logged, logged
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()
