"""Processes the crash tests start and kill: ``trellis serve`` and ``trellis publish``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.sync import plan_sync
from trellis.platform.db.tables import build_metadata
from trellis.platform.runtime import Runtime

from jobs_helpers import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def process_env(config: RuntimeConfig) -> dict[str, str]:
    """The environment of a ``trellis`` process over the databases of ``config``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRELLIS_")}
    env.update(TRELLIS_DATA_DIR=str(config.data_dir), TRELLIS_RATE_LIMIT_TOKEN="0")
    env.update(TRELLIS_DEMO_SCALE="0")  # crash tests need the demo tenant, not its data
    if config.database_url:
        env.update(
            TRELLIS_DATABASE_URL=config.database_url, TRELLIS_SCHEMA_PREFIX=config.schema_prefix
        )
    return env


def start(config: RuntimeConfig, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start ``python -m trellis *args``; its output goes to ``log``."""
    with log.open("ab") as out:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "trellis", *args],
            cwd=REPO_ROOT,
            env=process_env(config),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def kill(process: subprocess.Popen[bytes]) -> None:
    """``kill -9`` and reap."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(30)


@contextmanager
def server(config: RuntimeConfig, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``trellis serve`` on a free port, once it answers; yields it and its base URL."""
    port = free_port()
    process = start(config, log, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start: " + log.read_text()
            time.sleep(0.1)
        yield process, base
    finally:
        kill(process)


def schema_agrees(config: RuntimeConfig, tenant: str) -> tuple[int | None, list[str]]:
    """The tenant's metadata version and how its schema differs from that version (none)."""
    runtime = Runtime(config)
    try:
        info = runtime.tenant(tenant, fresh=True)
        schema = runtime.engines.tenant_schema(tenant)
        metadata = build_metadata(runtime.app(tenant).model, schema)
        with runtime.engines.tenant_connection(tenant) as conn:
            plan = plan_sync(conn, metadata, schema)
        return info.current_version, [str(step) for step in plan.steps]
    finally:
        runtime.close()


def table_rows(runtime: Runtime, tenant: str, table: str) -> list[dict[str, object]]:
    """Every row of a tenant table."""
    t = runtime.app(tenant).metadata.tables[table]
    with runtime.engines.tenant_connection(tenant) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t))]


__all__ = ["kill", "process_env", "schema_agrees", "server", "start", "table_rows"]
