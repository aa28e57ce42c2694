"""Which HTTP stack under the same app: uvicorn's h11 or httptools parser, asyncio or uvloop.

    python bench/bench_http_stack.py [--rows 20000] [--seconds 3] [--rounds 3]
                                     [--database-url postgresql+psycopg://…/test]
                                     [--results bench/RESULTS.md | --no-results]

Issue 19 item 2: about 64% of a create's server CPU was the HTTP stack (uvicorn with the
pure-Python h11 parser). This starts ``trellis serve`` and the hand-written baseline
(``bench/baseline_app.py``) once per stack over the same data, then measures creates and
reads by id with one keep-alive client each, alternating the servers round by round, and
reports each server's CPU per operation from ``/proc/<pid>/stat``. It reuses the set-up,
the clients and the accounting of ``bench_api.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api as api


@dataclass(frozen=True, slots=True)
class Variant:
    """One server process: which app and which HTTP stack."""

    app: str  # "trellis" or "baseline"
    http: str
    loop: str

    @property
    def name(self) -> str:
        """The variant's label in tables."""
        return f"{self.app} {self.http}+{self.loop}"


VARIANTS = (
    Variant("trellis", "h11", "asyncio"),
    Variant("trellis", "httptools", "asyncio"),
    Variant("trellis", "httptools", "uvloop"),
    Variant("baseline", "h11", "asyncio"),
    Variant("baseline", "httptools", "uvloop"),
)
METRICS = (
    api.Metric("create1", "Creates, 1 client", "create", 1),
    api.Metric("read", "Read by id, 1 client", "read", 1),
)


def start(variant: Variant, setup: api.Setup) -> api.Server:
    """Start one variant on a free loopback port (the same environment as bench_api)."""
    port = api.free_port()
    env = dict(os.environ)
    env.pop("TRELLIS_REDIS_URL", None)
    env["TRELLIS_RATE_LIMIT_TOKEN"] = env["TRELLIS_RATE_LIMIT_IP"] = str(10**9)
    if setup.database_url:
        env["TRELLIS_DATABASE_URL"] = setup.database_url
        env["TRELLIS_SCHEMA_PREFIX"] = setup.schema_prefix
    else:
        env.pop("TRELLIS_DATABASE_URL", None)
    stack = ["--http", variant.http, "--loop", variant.loop]
    if variant.app == "trellis":
        command = [sys.executable, "-m", "trellis", "serve", "--host", api.HOST]
        command += ["--port", str(port), "--data-dir", str(setup.data_dir), *stack]
    else:
        command = [sys.executable, str(api.BASELINE), "--host", api.HOST, "--port", str(port)]
        command += ["--data-dir", str(setup.data_dir), "--schema-prefix", setup.schema_prefix]
        command += [*stack, *(["--database-url", setup.database_url] if setup.database_url else [])]
    log = setup.data_dir / f"{variant.app}-{variant.http}-{variant.loop}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=setup.data_dir
        )
    return api.Server(variant.name, port, process, log)


def run_rounds(
    pool: api.Pool, servers: Sequence[api.Server], setup: api.Setup, seconds: float, rounds: int
) -> dict[tuple[str, str], api.Totals]:
    """Every metric on every server, the order reversed every other round."""
    totals = {(m.key, s.name): api.Totals() for m in METRICS for s in servers}
    for server in servers:
        for metric in METRICS:
            api.measure(pool, server, metric, setup, min(0.5, seconds), api.Totals(), 9999)
    for round_no in range(rounds):
        order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
        for metric in METRICS:
            for server in order:
                key = (metric.key, server.name)
                api.measure(pool, server, metric, setup, seconds, totals[key], 1000 * round_no)
        api.say(f"  round {round_no + 1}/{rounds} done")
    return totals


def render(
    totals: dict[tuple[str, str], api.Totals], args: argparse.Namespace, command: str
) -> tuple[str, str]:
    """The section for RESULTS.md: CPU per operation per stack, ratios to h11+asyncio."""
    backend = "PostgreSQL" if args.database_url else "SQLite"
    title = f"HTTP stack: h11 vs httptools vs uvloop ({backend})"
    lines = [
        f"Command: `{command}`  ",
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.python_version()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, {args.rows:,} rows, "
        f"{args.rounds} rounds x {args.seconds:g} s per server and metric, interleaved.",
        "",
        "| server CPU per op (ms) | " + " | ".join(m.title for m in METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for variant in VARIANTS:
        base = Variant(variant.app, "h11", "asyncio").name
        cells = []
        for metric in METRICS:
            mine = totals[metric.key, variant.name]
            ratio = mine.cpu_ms / totals[metric.key, base].cpu_ms
            errors = f", {mine.errors} errors" if mine.errors else ""
            cells.append(f"{api._fmt(mine.cpu_ms)} ({ratio:.2f}x h11{errors})")
        lines.append(f"| {variant.name} | " + " | ".join(cells) + " |")
    best = Variant("trellis", "httptools", "uvloop").name
    base = Variant("baseline", "httptools", "uvloop").name
    ratios = [
        f"{m.title}: {totals[m.key, best].cpu_ms / totals[m.key, base].cpu_ms:.2f}x"
        for m in METRICS
    ]
    lines += ["", "Trellis ÷ baseline, both on httptools+uvloop: " + "; ".join(ratios) + "."]
    return title, "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows loaded before measuring")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one window")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument("--results", type=Path, default=api.RESULTS, help="file to update")
    parser.add_argument("--no-results", dest="results", action="store_const", const=None)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison once."""
    args = parse_args(argv)
    rest = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python", "bench/bench_http_stack.py", *rest])
    with api.workspace(args.database_url, args.keep) as (data_dir, prefix):
        setup = api.prepare(data_dir, args.database_url, prefix, args.rows)
        servers: list[api.Server] = []
        try:
            for variant in VARIANTS:  # one at a time: the first start creates the demo tenant
                servers.append(start(variant, setup))
                api.wait_ready(servers[-1], setup.token)
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                totals = run_rounds(pool, servers, setup, args.seconds, args.rounds)
        finally:
            for server in servers:
                server.stop()
    title, body = render(totals, args, command)
    api.say(f"\n## {title}\n\n{body}")
    if args.results is not None:
        api.write_section(args.results, title, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
