"""Peak server memory and speed of a streamed export, 10,000 vs 200,000 rows (issue 17, item 4).

    python bench/bench_export.py [--small 10000] [--large 200000] [--formats csv,jsonl,xlsx]

A tenant (SQLite) with two entities of the same shape, ``small`` and ``large``, loaded
with plain batched INSERTs, is served by ``uvicorn`` in a child process. Before each
request the child's peak RSS is reset (``5`` written to ``/proc/<pid>/clear_refs``,
Linux); after it, the peak (``VmHWM``) minus the resident size before (``VmRSS``) is
the growth the export caused. The client reads each answer as a stream and counts its
bytes. Memory flat in the row count means the large export grows the peak about as
much as the small one (the baseline, measured in the same run), not 20 times as much.
Speed: rows per second of each export, against a raw ``SELECT`` of the same columns in
batches of 1,000 by id (the baseline of the same run, in the parent process).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

TENANT = "exports"
ENTITY = """fields:
  name: {type: string, required: true}
  city: {type: string}
  amount: {type: decimal, scale: 2}
  closed: {type: date}
  note: {type: text}
"""


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _status(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` size in bytes (``VmRSS``, ``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def _prepare(data: Path, sizes: dict[str, int]) -> str:
    runtime = Runtime(RuntimeConfig(data_dir=data))
    pkg = data.parent / "pkg"
    (pkg / "entities").mkdir(parents=True)
    (pkg / "app.yaml").write_text("name: bench\nversion: 1.0.0\nlabel: Bench\n", "utf-8")
    for name in sizes:
        (pkg / "entities" / f"{name}.yaml").write_text(ENTITY, "utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, pkg)
    user = runtime.registry.ensure_user("admin@exports.test", "correct horse battery")
    runtime.registry.add_membership(TENANT, user, ["admin"])
    token = runtime.registry.create_token(TENANT, "admin@exports.test")
    now = runtime.clock.now()
    for name, count in sizes.items():
        table = runtime.app(TENANT).entities[name].table
        with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
            for start in range(0, count, 5000):
                rows = [
                    {"name": f"Name {i}", "city": f"City {i % 97}", "amount": i % 10_000,
                     "note": "=formula? " * 3, "created_at": now, "updated_at": now,
                     "version": 1}
                    for i in range(start, min(start + 5000, count))
                ]  # fmt: skip
                conn.execute(sa.insert(table), rows)
    runtime.close()
    return token


def _raw_rate(data: Path, name: str) -> float:
    """Rows per second of a raw batched SELECT by id (the speed baseline)."""
    runtime = Runtime(RuntimeConfig(data_dir=data))
    table = runtime.app(TENANT).entities[name].table
    columns = [table.c[c] for c in ("id", "name", "city", "amount", "closed", "note")]
    start, last, total = time.perf_counter(), 0, 0
    with runtime.engines.tenant_connection(TENANT) as conn:
        while True:
            query = sa.select(*columns).where(table.c.id > last).order_by(table.c.id).limit(1000)
            rows = conn.execute(query).all()
            if not rows:
                break
            total += len(rows)
            last = rows[-1][0]
    elapsed = time.perf_counter() - start
    runtime.close()
    return total / elapsed


def _serve(data: str, port: str) -> None:
    runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
    uvicorn.run(create_web_app(runtime), host="127.0.0.1", port=int(port), log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="rows of the baseline export")
    parser.add_argument("--large", type=int, default=200_000, help="rows of the large export")
    parser.add_argument("--formats", default="csv,jsonl,xlsx", help="formats to export")
    parser.add_argument("--serve", nargs=2, metavar=("DATA", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(*args.serve)
        return
    sizes = {"small": args.small, "large": args.large}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        token = _prepare(data, sizes)
        raw = {name: _raw_rate(data, name) for name in sizes}
        port = 8765 + os.getpid() % 1000
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(data), str(port)])
        try:
            _run(child.pid, port, token, sizes, args.formats.split(","), raw)
        finally:
            child.terminate()
            child.wait(timeout=30)


def _run(
    pid: int, port: int, token: str, sizes: dict[str, int], formats: list[str],
    raw: dict[str, float],
) -> None:  # fmt: skip
    base = f"http://127.0.0.1:{port}/t/{TENANT}/api"
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
        for _ in range(300):
            try:
                if client.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

        def export(name: str, fmt: str) -> tuple[int, float]:
            start = time.perf_counter()
            with client.stream("GET", f"{base}/{name}/_export", params={"format": fmt}) as got:
                assert got.status_code == 200, got.read()
                size = sum(len(c) for c in got.iter_bytes())
            return size, time.perf_counter() - start

        export("small", "csv")  # warm-up: imports, caches, the first export
        _say(f"server rss {_status(pid, 'VmRSS') / 2**20:.1f} MiB after warm-up")
        _say("| export | rows | bytes | peak RSS growth (MiB) | rows/s | raw SELECT rows/s |")
        _say("|---|---:|---:|---:|---:|---:|")
        growth: dict[tuple[str, str], float] = {}
        for fmt in formats:
            for name, count in sizes.items():
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                before = _status(pid, "VmRSS")
                size, elapsed = export(name, fmt)
                growth[(fmt, name)] = (_status(pid, "VmHWM") - before) / 2**20
                _say(
                    f"| {fmt} {name} | {count:,} | {size:,} | {growth[(fmt, name)]:.1f} "
                    f"| {count / elapsed:,.0f} | {raw[name]:,.0f} |"
                )
        for fmt in formats:
            small, large = growth[(fmt, "small")], growth[(fmt, "large")]
            _say(f"{fmt}: large - small peak growth = {large - small:+.1f} MiB")


if __name__ == "__main__":
    main()
