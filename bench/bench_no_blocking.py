"""Probe latencies while another tenant's request waits in the database, and with none waiting.

Run: ``python bench/bench_no_blocking.py [--rounds 10] [--pg postgresql+psycopg://…]``.

The set-up is the one of ``tests/e2e/test_no_blocking.py`` (``tests/nonblocking_support.py``):
two CRM tenants served by uvicorn on a free loopback port. "Held": tenant A's account table
is locked from a separate connection (SQLite ``BEGIN EXCLUSIVE``, PostgreSQL
``LOCK TABLE … ACCESS EXCLUSIVE``) and a create of tenant A waits for it; meanwhile each
probe (``/health``, a read by id of tenant B, tenant B's account list screen) is sent
``--rounds`` times, one at a time. "Free": the same probes with nothing held, same run
(measured first, after three warm-up requests per probe).
Figures are medians and maxima in milliseconds. SQLite's busy timeout (10 s) bounds how
long a hold may last, so keep rounds modest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from nonblocking_support import (
    create_held,
    held_account_table,
    probes,
    serve,
    start,
    wait_for,
)


def out(text: str) -> None:
    """Write a line of the report."""
    sys.stdout.write(text + "\n")


def timed(send: Callable[[], httpx.Response], rounds: int) -> list[float]:
    """Milliseconds of ``rounds`` sequential requests (each must answer 200)."""
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = send()
        seconds.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
    return seconds


def measure(runtime: Runtime, rounds: int) -> None:
    """Print the table of one backend."""
    setup = serve(runtime)
    try:
        sent = probes(setup)
        for send in sent.values():  # warm caches and connections first
            timed(send, 3)
        free = {name: timed(send, rounds) for name, send in sent.items()}
        with held_account_table(runtime) as waiting:
            held = start(create_held(setup))
            wait_for(waiting, 30, "the held request to wait for the lock")
            busy = {name: timed(send, rounds) for name, send in sent.items()}
            assert not held.done, "the held request ended while its lock was held"
            released = time.perf_counter()
        wait_for(lambda: held.done, 30, "the held request after the release")
        assert held.response is not None and held.response.status_code == 201
        after = (held.finished - released) * 1000
    finally:
        setup.close()
    out("| probe | free p50 ms | free max ms | held p50 ms | held max ms |")
    out("|---|---:|---:|---:|---:|")
    for name in sent:
        a, b = free[name], busy[name]
        out(
            f"| {name} | {statistics.median(a):.1f} | {max(a):.1f} | "
            f"{statistics.median(b):.1f} | {max(b):.1f} |"
        )
    out(
        f"\nHeld create: pending {(released - held.started) * 1000:.0f} ms while the probes ran, "
        f"answered 201 {after:.1f} ms after the release."
    )


def main() -> None:
    """Measure on SQLite, then on PostgreSQL when ``--pg`` is given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pg", help="PostgreSQL URL (postgresql+psycopg://…)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out(f"### SQLite ({args.rounds} requests per probe)\n")
        runtime = Runtime(RuntimeConfig(data_dir=Path(folder) / "sqlite"))
        try:
            measure(runtime, args.rounds)
        finally:
            runtime.close()
        if args.pg:
            out(f"\n### PostgreSQL ({args.rounds} requests per probe)\n")
            prefix = f"b{uuid.uuid4().hex[:10]}_"
            config = RuntimeConfig(
                data_dir=Path(folder) / "pg", database_url=args.pg, schema_prefix=prefix
            )
            runtime = Runtime(config)
            try:
                measure(runtime, args.rounds)
            finally:
                runtime.close()
                drop_schemas(args.pg, prefix)


if __name__ == "__main__":
    main()
