"""What rate limiting and the security headers cost on a read by id of the JSON API.

    python bench/bench_hardening.py [--rounds 20] [--requests 200] [--redis URL] [--pg URL]

One runtime, one tenant, one record; the whole web application (API plus screens, as
``trellis serve`` builds it) is built several times over that runtime:

* ``baseline``: ``create_app(..., hardening=False)``: no rate-limit middleware, no
  security-header hook, everything else the same;
* ``production``: ``create_app(...)`` as served: rate limits on with the in-process
  counter (the embedded default) and the security headers on;
* ``redis`` (with ``--redis``): the same with the rate-limit counter in Redis.

Each request, ``GET /t/{tenant}/api/item/{id}`` with a bearer token, is sent straight to
the ASGI application in this process (no sockets, no HTTP client), so the figures are the
server's own work and the hardening's share of it is not diluted by a client. The variants
take turns: in each of ``--rounds`` rounds every variant sends ``--requests`` requests, in
an order rotated from round to round. Figures are medians: wall time per request over all
requests, and CPU time of the process per request (median of the rounds' means). Ratio =
variant / baseline. The token limit is raised so no request of the run is refused (what a
hit costs does not depend on the limit); every answer must be 200.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.platform.api.app import create_app
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import open_session_store
from trellis.ui.screens.app import screens

TENANT = "hardening"
ADMIN = "admin@hardening.test"
#: High enough that no request of the run is refused.
TOKEN_LIMIT = 1_000_000_000
ENTITY = """fields:
  name: {type: string, required: true}
  amount: {type: integer}
  status: {type: enum, options: [open, closed]}
"""
ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def out(text: str) -> None:
    """Write a line of the report."""
    sys.stdout.write(text + "\n")


@dataclass
class Variant:
    """One build of the application and the timings it collected."""

    name: str
    app: ASGI
    wall_ms: list[float] = field(default_factory=list)
    cpu_round_ms: list[float] = field(default_factory=list)


def _package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: hardening\nversion: 1.0.0\nlabel: Hardening bench\n")
    (root / "entities" / "item.yaml").write_text(ENTITY)
    return root


def prepare(runtime: Runtime, folder: Path) -> tuple[str, int]:
    """The tenant, its admin's token and one record's id."""
    registry = runtime.registry
    user = registry.ensure_user(ADMIN, "bench-password-long-enough")
    registry.create_tenant(TENANT)
    registry.add_membership(TENANT, user, ["admin"])
    publish(runtime, TENANT, _package(folder / "pkg"), published_by="bench")
    token = registry.create_token(TENANT, ADMIN)
    table = runtime.app(TENANT).table("item")
    now = datetime.now(UTC)
    row = {
        "created_at": now,
        "updated_at": now,
        "owner_id": user,
        "version": 1,
        "name": "Read me",
        "amount": 42,
        "status": "open",
    }
    with runtime.engines.tenant_connection(TENANT, write=True) as conn:
        ident = conn.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()
        conn.commit()
    return token, int(ident)


@contextmanager
def redis_counter(runtime: Runtime, url: str | None) -> Iterator[None]:
    """While building an app, the rate-limit counter reads ``url`` from the config."""
    config = runtime.config
    runtime.config = replace(config, redis_url=url)
    try:
        yield
    finally:
        runtime.config = config


def build(runtime: Runtime, name: str, redis: str | None) -> Variant:
    """The web application of variant ``name`` over ``runtime``."""
    extension = screens(
        runtime, open_session_store(runtime.config, clock=runtime.clock, registry=runtime.registry)
    )
    if name == "baseline":
        return Variant(name, create_app(runtime, extension=extension, hardening=False))
    with redis_counter(runtime, redis if name == "redis" else None):
        return Variant(name, create_app(runtime, extension=extension))


class Request:
    """A ready ASGI GET of one path, sent again and again."""

    def __init__(self, path: str, token: str) -> None:
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"accept", b"application/json"),
                (b"authorization", f"Bearer {token}".encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

    async def send(self, app: ASGI) -> tuple[int, dict[bytes, bytes], bytes]:
        """Status, headers and body of one request to ``app``."""
        answer: dict[str, Any] = {"body": b""}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = dict(message.get("headers", []))
            else:
                answer["body"] += message.get("body", b"")

        await app({**self.scope, "state": {}}, receive, send)
        return answer["status"], answer["headers"], answer["body"]


async def run(variants: list[Variant], request: Request, rounds: int, count: int) -> None:
    """Warm every variant, check its headers, then time the interleaved rounds."""
    for variant in variants:
        for _ in range(20):
            status, headers, body = await request.send(variant.app)
            assert status == 200, body
        hardened = b"content-security-policy" in headers
        assert hardened == (variant.name != "baseline"), (variant.name, headers)
    for r in range(rounds):
        shift = r % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            cpu = time.process_time()
            for _ in range(count):
                began = time.perf_counter()
                status, _headers, body = await request.send(variant.app)
                variant.wall_ms.append((time.perf_counter() - began) * 1000)
                assert status == 200, body
            variant.cpu_round_ms.append((time.process_time() - cpu) * 1000 / count)


def measure(runtime: Runtime, folder: Path, args: argparse.Namespace) -> list[Variant]:
    """Set up the tenant, build the variants and time them."""
    token, ident = prepare(runtime, folder)
    names = ["baseline", "production", *(["redis"] if args.redis else [])]
    variants = [build(runtime, name, args.redis) for name in names]
    request = Request(f"/t/{TENANT}/api/item/{ident}", token)
    asyncio.run(run(variants, request, args.rounds, args.requests))
    return variants


def report(variants: list[Variant]) -> None:
    """The table of one backend."""
    base = variants[0]
    base_wall = statistics.median(base.wall_ms)
    base_cpu = statistics.median(base.cpu_round_ms)
    out("| variant | wall p50 ms | ratio | CPU ms/request | ratio |")
    out("|---|---:|---:|---:|---:|")
    for v in variants:
        wall, cpu = statistics.median(v.wall_ms), statistics.median(v.cpu_round_ms)
        out(
            f"| {v.name} | {wall:.3f} | {wall / base_wall:.3f}x | "
            f"{cpu:.3f} | {cpu / base_cpu:.3f}x |"
        )
    for v in variants[1:]:
        per_round = [a / b for a, b in zip(v.cpu_round_ms, base.cpu_round_ms, strict=True)]
        out(
            f"\n{v.name}/baseline CPU ratio per round: median "
            f"{statistics.median(per_round):.3f}, min {min(per_round):.3f}, "
            f"max {max(per_round):.3f}."
        )


def backend(label: str, config: RuntimeConfig, folder: Path, args: argparse.Namespace) -> None:
    """Measure and report one backend."""
    out(f"### {label} ({args.rounds} rounds x {args.requests} requests per variant)\n")
    runtime = Runtime(config)
    try:
        report(measure(runtime, folder, args))
    finally:
        runtime.close()


def main() -> None:
    """Measure on SQLite, then on PostgreSQL when ``--pg`` is given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--redis", help="Redis URL: also measure the Redis rate-limit counter")
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://…)")
    args = parser.parse_args()
    logging.getLogger("casbin").setLevel(logging.WARNING)
    load_before = os.getloadavg()
    prefix = f"b{uuid.uuid4().hex[:10]}_"
    folder = Path(tempfile.mkdtemp())
    try:
        config = RuntimeConfig(data_dir=folder / "sqlite", rate_limit_token=TOKEN_LIMIT)
        backend("SQLite", config, folder / "s", args)
        if args.pg:
            pg = replace(config, data_dir=folder / "pg", database_url=args.pg, schema_prefix=prefix)
            out("")
            try:
                backend("PostgreSQL", pg, folder / "p", args)
            finally:
                drop_schemas(args.pg, prefix)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    after = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    before = ", ".join(f"{v:.2f}" for v in load_before)
    out(
        f"\nPython {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"load average before {before}, after {after}."
    )


if __name__ == "__main__":
    main()
