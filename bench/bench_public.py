"""What a public form post costs against an API create of the same record, in one run.

    python bench/bench_public.py [--rounds 10] [--requests 100] [--pg URL]

One runtime, one tenant whose package has an entity with a formula and a validation, a
``public`` role that may create it, and a public form over three of its fields. The web
application (API plus screens, as ``trellis serve`` builds it) answers both requests,
sent straight to the ASGI application in this process (no sockets, no HTTP client):

* ``api``: ``POST /t/{t}/api/enquiry`` with a JSON body and a bearer token (201);
* ``form``: ``POST /p/{t}/forms/contact`` form-encoded from an allowed origin, answered
  with the success page (200): origin check, per-address limit, honeypot, the public
  principal and the same save pipeline.

The two take turns: in each of ``--rounds`` rounds each sends ``--requests`` requests, in
an order rotated from round to round. Figures: CPU time of the process per request
(``time.process_time``, every thread, so the save in the worker thread counts), median of
the rounds' means, and the form/API ratio per round. Rate limits are raised so no request
of the run is refused (what a count costs does not depend on the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

TENANT = "public-bench"
ADMIN = "admin@public.test"
LIMIT = 1_000_000_000
FILES = {
    "app.yaml": "name: publicbench\nversion: '1.0'\n",
    "entities/enquiry.yaml": """fields:
  name: {type: string, required: true, max_length: 80}
  email: {type: email, required: true}
  message: {type: text}
  source: {type: enum, options: [web, phone]}
  shout: {type: string, formula: 'upper(name)'}
validations:
  - {when: 'name == "spam"', field: name, message: "Not a real name."}
""",
    "roles.yaml": "roles:\n  public:\n    entities:\n      enquiry: {actions: [create]}\n",
    "forms/contact.yaml": """entity: enquiry
fields: [name, email, message]
hidden: {source: web}
allowed_origins: ['https://www.example.com']
""",
}
ASGI = Any


def out(text: str) -> None:
    """Print one line of the report."""
    sys.stdout.write(text + "\n")


@dataclass
class Variant:
    """One kind of request and its figures."""

    name: str
    path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    status: int
    cpu_round_ms: list[float] = field(default_factory=list)

    async def send(self, app: ASGI) -> tuple[int, bytes]:
        """Status and body of one request."""
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1:8000"), *self.headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        answer: dict[str, Any] = {"body": b""}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            else:
                answer["body"] += message.get("body", b"")

        await app(scope, receive, send)
        return answer["status"], answer["body"]


def prepare(runtime: Runtime, folder: Path) -> str:
    """The tenant, its admin and a token."""
    for relative, text in FILES.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, folder)
    user = runtime.registry.ensure_user(ADMIN, "correct horse battery")
    runtime.registry.add_membership(TENANT, user, ["admin"])
    return runtime.registry.create_token(TENANT, ADMIN)


def variants(token: str) -> list[Variant]:
    """The API create and the public form post of the same record."""
    record = {"name": "Ana Example", "email": "ana@example.com", "message": "Call me back."}
    api = Variant(
        "api create",
        f"/t/{TENANT}/api/enquiry",
        [
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        json.dumps({**record, "source": "web"}).encode(),
        201,
    )
    form = Variant(
        "public form post",
        f"/p/{TENANT}/forms/contact",
        [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"accept", b"text/html"),
            (b"origin", b"https://www.example.com"),
        ],
        urlencode({**record, "_homepage": ""}).encode(),
        200,
    )
    return [api, form]


async def run(app: ASGI, kinds: list[Variant], rounds: int, count: int) -> None:
    """Warm both, then time the interleaved rounds."""
    for kind in kinds:
        for _ in range(20):
            status, body = await kind.send(app)
            assert status == kind.status, (kind.name, status, body[:300])
    for r in range(rounds):
        shift = r % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            cpu = time.process_time()
            for _ in range(count):
                status, body = await kind.send(app)
                assert status == kind.status, (kind.name, status, body[:300])
            kind.cpu_round_ms.append((time.process_time() - cpu) * 1000 / count)


def report(kinds: list[Variant]) -> None:
    """The table of one backend."""
    api, form = kinds
    base = statistics.median(api.cpu_round_ms)
    out("| request | CPU ms/request (median of rounds) | ratio |")
    out("|---|---:|---:|")
    for kind in kinds:
        cpu = statistics.median(kind.cpu_round_ms)
        out(f"| {kind.name} | {cpu:.3f} | {cpu / base:.3f}x |")
    per_round = [a / b for a, b in zip(form.cpu_round_ms, api.cpu_round_ms, strict=True)]
    out(
        f"\nform/API CPU ratio per round: median {statistics.median(per_round):.3f}, "
        f"min {min(per_round):.3f}, max {max(per_round):.3f} (budget 1.5).\n"
    )


def backend(label: str, config: RuntimeConfig, folder: Path, args: argparse.Namespace) -> None:
    """Measure and report one backend."""
    out(f"### {label} ({args.rounds} rounds x {args.requests} requests each)\n")
    runtime = Runtime(config)
    try:
        kinds = variants(prepare(runtime, folder))
        asyncio.run(run(create_web_app(runtime), kinds, args.rounds, args.requests))
        report(kinds)
    finally:
        runtime.close()


def main() -> None:
    """Measure on SQLite, then on PostgreSQL when ``--pg`` is given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://…)")
    args = parser.parse_args()
    logging.getLogger("casbin").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    load = os.getloadavg()
    out(f"## Public forms: a form post vs an API create ({datetime.now(UTC):%Y-%m-%d})\n")
    out(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {load[0]:.2f}.\n")
    work = Path(tempfile.mkdtemp(prefix="trellis-public-bench-"))
    prefix = f"b{uuid.uuid4().hex[:10]}_"
    limits = {"rate_limit_ip": LIMIT, "rate_limit_token": LIMIT, "rate_limit_public": LIMIT}
    try:
        sqlite = RuntimeConfig(data_dir=work / "sqlite", version_check_interval=1.0)
        backend("SQLite", replace(sqlite, **limits), work / "pkg-sqlite", args)
        if args.pg:
            pg = RuntimeConfig(data_dir=work / "pg", database_url=args.pg, schema_prefix=prefix)
            backend("PostgreSQL", replace(pg, **limits), work / "pkg-pg", args)
    finally:
        if args.pg:
            drop_schemas(args.pg, prefix)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
