"""Trellis JSON API against a hand-written endpoint doing the same SQL, in one run.

    python bench/bench_api.py [--rows 100000] [--seconds 3] [--rounds 3]
                              [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                              [--quick] [--results bench/RESULTS.md | --no-results]

It creates a temporary data dir with a tenant ``bench`` running ``bench/package``, an admin
user and an API token, bulk-loads ``--rows`` items with one ``executemany``, then starts
``python -m trellis serve`` and ``bench/baseline_app.py`` as separate single-process servers
on free loopback ports, both over the same database. After checking that both give the same
answers it measures, alternating the servers round by round (A B, B A, ...):

* creates per second with 1 and with 8 concurrent clients,
* read-by-id latency (1 client),
* a filtered and sorted list page over the loaded rows (1 client),

with keep-alive HTTP clients in separate processes, and each server's CPU time per operation
from ``/proc/<pid>/stat`` (the fairest figure when clients and server share two cores).
The figures go into a section of ``bench/RESULTS.md`` (other sections are kept).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from multiprocessing.pool import Pool
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from trellis.platform.config import RuntimeConfig
    from trellis.platform.runtime import Runtime

# SQLAlchemy and Trellis are imported inside the set-up functions only: the client processes
# (multiprocessing "spawn") import this module too, and should start fast and stay small.

BENCH_DIR = Path(__file__).resolve().parent
PACKAGE = BENCH_DIR / "package"
BASELINE = BENCH_DIR / "baseline_app.py"
RESULTS = BENCH_DIR / "RESULTS.md"
TENANT = "bench"
ADMIN = "bench@bench.test"
HOST = "127.0.0.1"
LIST_FILTER = 'status == "open" and amount > 500'
LIST_SORT = "-amount"
LIST_LIMIT = 50
CLK_TCK = os.sysconf("SC_CLK_TCK")
BUDGET = 1.3


# set-up -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Setup:
    """Where the data lives and how to reach it."""

    data_dir: Path
    database_url: str | None
    schema_prefix: str
    token: str
    rows: int


def make_config(data_dir: Path, database_url: str | None, prefix: str) -> RuntimeConfig:
    """The runtime configuration shared by the set-up and both servers."""
    from trellis.platform.config import RuntimeConfig

    return RuntimeConfig(data_dir=data_dir, database_url=database_url, schema_prefix=prefix)


def _item_rows(count: int, start: datetime, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    statuses = ("open", "won", "lost")
    for i in range(count):
        at = start + timedelta(seconds=i)
        yield {
            "created_at": at,
            "created_by": 1,
            "updated_at": at,
            "updated_by": 1,
            "owner_id": 1,
            "version": 1,
            "deleted_at": None,
            "name": f"Item {i:06d}",
            "amount": Decimal(rng.randrange(0, 1_000_000)) / 100 if rng.random() > 0.05 else None,
            "status": statuses[rng.randrange(3)] if rng.random() > 0.02 else None,
            "score": rng.randrange(-1000, 1000),
            "due": date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
            "email": f"user{i}@example.com",
        }


def open_tenant(runtime: Runtime, package: Path) -> str:
    """Create the tenant and its admin, publish ``package``; returns an API token."""
    from trellis.platform.publish import publish

    registry = runtime.registry
    user_id = registry.ensure_user(ADMIN, "bench-password-long-enough")
    registry.create_tenant(TENANT)
    registry.add_membership(TENANT, user_id, ["admin"])
    publish(runtime, TENANT, package, published_by="bench")
    return registry.create_token(TENANT, ADMIN)


def analyze(runtime: Runtime) -> None:
    """Refresh the tenant's planner statistics after a bulk load."""
    import sqlalchemy as sa

    with runtime.engines.tenant_connection(TENANT, write=True) as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()


def prepare(data_dir: Path, database_url: str | None, prefix: str, rows: int) -> Setup:
    """Create the tenant, publish the package, make a token and bulk-load ``rows`` items."""
    from trellis.platform.runtime import Runtime

    runtime = Runtime(make_config(data_dir, database_url, prefix))
    try:
        token = open_tenant(runtime, PACKAGE)
        table = runtime.app(TENANT).table("item")
        start = datetime.now(UTC) - timedelta(days=30)
        batch: list[dict[str, Any]] = []
        with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
            for row in _item_rows(rows, start):
                batch.append(row)
                if len(batch) == 10_000:
                    conn.execute(table.insert(), batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
        analyze(runtime)
    finally:
        runtime.close()
    return Setup(data_dir, database_url, prefix, token, rows)


# servers ------------------------------------------------------------------------------
@dataclass(slots=True)
class Server:
    """A server subprocess on a loopback port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """The server's process id (the Python process serving requests)."""
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        text = Path(f"/proc/{self.pid}/stat").read_text()
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_mib(self) -> float:
        """Resident memory of the server process in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(name: str, setup: Setup) -> Server:
    """Start ``trellis serve`` or the baseline over the same data."""
    port = free_port()
    env = dict(os.environ)
    env.pop("TRELLIS_REDIS_URL", None)
    # Limits far above the load: the rate check stays in the measured path, never refuses.
    env["TRELLIS_RATE_LIMIT_TOKEN"] = env["TRELLIS_RATE_LIMIT_IP"] = str(10**9)
    if setup.database_url:
        env["TRELLIS_DATABASE_URL"] = setup.database_url
        env["TRELLIS_SCHEMA_PREFIX"] = setup.schema_prefix
    else:
        env.pop("TRELLIS_DATABASE_URL", None)
    if name == "trellis":
        command = [sys.executable, "-m", "trellis", "serve", "--host", HOST, "--port", str(port)]
        command += ["--data-dir", str(setup.data_dir)]
    else:
        command = [sys.executable, str(BASELINE), "--host", HOST, "--port", str(port)]
        command += ["--data-dir", str(setup.data_dir), "--schema-prefix", setup.schema_prefix]
        if setup.database_url:
            command += ["--database-url", setup.database_url]
    log = setup.data_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=setup.data_dir
        )
    return Server(name, port, process, log)


def wait_ready(server: Server, token: str, timeout: float = 90.0) -> None:
    """Wait until the server answers an authenticated list request."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            status, _ = http_call(server.port, token, "GET", f"/t/{TENANT}/api/item?limit=1")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise SystemExit(f"The {server.name} server did not start on port {server.port}:\n{tail}")


def http_call(port: int, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One request on a fresh connection; returns (status, decoded JSON or None)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        raw = msgspec.json.encode(body) if body is not None else None
        conn.request(method, path, body=raw, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, msgspec.json.decode(data) if data else None
    finally:
        conn.close()


def list_path() -> str:
    """The benchmark's list request."""
    query = urllib.parse.urlencode({"filter": LIST_FILTER, "sort": LIST_SORT, "limit": LIST_LIMIT})
    return f"/t/{TENANT}/api/item?{query}"


def check_same_answers(servers: Sequence[Server], token: str) -> list[str]:
    """Compare both servers' answers to the three operations; returns the differences."""
    answers = {}
    payload = {"name": "Check", "amount": "12.5", "status": "won", "score": 3, "due": "2026-02-01"}
    for server in servers:
        created = http_call(server.port, token, "POST", f"/t/{TENANT}/api/item", payload)
        read = http_call(server.port, token, "GET", f"/t/{TENANT}/api/item/1")
        listed = http_call(server.port, token, "GET", list_path())
        answers[server.name] = (created, read, listed)
    (ca, ra, la), (cb, rb, lb) = answers.values()
    problems = []
    volatile = {"id", "created_at", "updated_at"}
    if ca[0] != 201 or cb[0] != 201:
        problems.append(f"create status {ca[0]} vs {cb[0]}: {ca[1]} / {cb[1]}")
    elif {k: v for k, v in ca[1].items() if k not in volatile} != {
        k: v for k, v in cb[1].items() if k not in volatile
    }:
        problems.append(f"create answers differ: {ca[1]} vs {cb[1]}")
    if ra != rb:
        problems.append(f"read answers differ: {ra} vs {rb}")
    if la[0] != 200 or lb[0] != 200:
        problems.append(f"list status {la[0]} vs {lb[0]}: {la[1]} / {lb[1]}")
    elif la[1] != lb[1]:
        problems.append("list answers differ")
    return problems


# clients (run in worker processes) ----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Job:
    """What one client process does during one measurement window."""

    kind: str  # create | read | list
    port: int
    token: str
    rows: int
    start_at: float  # time.monotonic() value, shared by every process on Linux
    seconds: float
    seed: int


@dataclass(slots=True)
class ClientResult:
    """What one client measured."""

    ops: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""


def _request_factory(job: Job) -> Callable[[], tuple[str, str, bytes | None]]:
    rng = random.Random(job.seed)
    if job.kind == "create":
        bodies = [
            msgspec.json.encode(
                {
                    "name": f"New item {job.seed}-{i}",
                    "amount": f"{rng.randrange(0, 1_000_000) / 100:.2f}",
                    "status": rng.choice(["open", "won", "lost"]),
                    "score": rng.randrange(1000),
                    "due": (date(2026, 1, 1) + timedelta(days=rng.randrange(365))).isoformat(),
                    "email": f"new{job.seed}-{i}@example.com",
                }
            )
            for i in range(500)
        ]
        return lambda: ("POST", f"/t/{TENANT}/api/item", rng.choice(bodies))
    if job.kind == "read":
        return lambda: ("GET", f"/t/{TENANT}/api/item/{rng.randrange(1, job.rows + 1)}", None)
    path = list_path()
    return lambda: ("GET", path, None)


def run_client(job: Job) -> ClientResult:
    """Send requests over one keep-alive connection during the window; time each one."""
    expected = 201 if job.kind == "create" else 200
    next_request = _request_factory(job)
    headers = {"Authorization": f"Bearer {job.token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection(HOST, job.port, timeout=60)
    result = ClientResult()

    def send() -> tuple[int, bytes]:
        method, path, body = next_request()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    send()  # opens the connection before the window starts
    end = job.start_at + job.seconds
    while time.monotonic() < job.start_at:
        time.sleep(0.001)
    clock = time.monotonic
    while True:
        began = clock()
        if began >= end:
            break
        status, data = send()
        finished = clock()
        if finished > end:
            break
        if status == expected:
            result.ops += 1
            result.latencies.append(finished - began)
        else:
            result.errors += 1
            result.first_error = result.first_error or f"{status} {data[:300]!r}"
    conn.close()
    return result


# measurements ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Totals:
    """One (metric, server) pair summed over rounds."""

    ops: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per operation."""
        return 1000 * self.cpu / self.ops if self.ops else float("nan")

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        if len(self.latencies) < 2:
            return 1000 * self.latencies[0] if self.latencies else float("nan")
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]


@dataclass(frozen=True, slots=True)
class Metric:
    """A measured operation: request kind and number of concurrent clients."""

    key: str
    title: str
    kind: str
    clients: int


METRICS = (
    Metric("create1", "Creates, 1 client", "create", 1),
    Metric("create8", "Creates, 8 concurrent clients", "create", 8),
    Metric("read", "Read by id, 1 client", "read", 1),
    Metric("list", "Filtered + sorted list page, 1 client", "list", 1),
)


def measure(
    pool: Pool,
    server: Server,
    metric: Metric,
    setup: Setup,
    seconds: float,
    totals: Totals,
    seed: int,
) -> None:
    """Run one window of ``metric`` against ``server`` and add it to ``totals``."""
    start_at = time.monotonic() + 0.4
    jobs = [
        Job(metric.kind, server.port, setup.token, setup.rows, start_at, seconds, seed + i)
        for i in range(metric.clients)
    ]
    pending = pool.map_async(run_client, jobs, chunksize=1)
    time.sleep(max(0.0, start_at - time.monotonic()))
    cpu_before = server.cpu_seconds()
    time.sleep(max(0.0, start_at + seconds - time.monotonic()))
    cpu_after = server.cpu_seconds()
    for result in pending.get(timeout=seconds + 120):
        totals.ops += result.ops
        totals.errors += result.errors
        totals.latencies.extend(result.latencies)
        totals.first_error = totals.first_error or result.first_error
    totals.seconds += seconds
    totals.cpu += cpu_after - cpu_before


def run_rounds(
    pool: Pool, servers: Sequence[Server], setup: Setup, seconds: float, rounds: int
) -> dict[tuple[str, str], Totals]:
    """Every metric on every server, alternating which server goes first each round."""
    totals = {(m.key, s.name): Totals() for m in METRICS for s in servers}
    for server in servers:  # warm-up: caches, compiled statements, first connections
        for metric in METRICS:
            measure(pool, server, metric, setup, min(0.5, seconds), Totals(), 9999)
    for round_no in range(rounds):
        order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
        for metric in METRICS:
            for server in order:
                measure(
                    pool,
                    server,
                    metric,
                    setup,
                    seconds,
                    totals[metric.key, server.name],
                    1000 * round_no + 100,
                )
        say(f"  round {round_no + 1}/{rounds} done")
    return totals


# report ------------------------------------------------------------------------------------
def _fmt(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def _row(label: str, a: float, b: float, digits: int = 2) -> str:
    ratio = a / b if b else float("nan")
    return f"| {label} | {_fmt(a, digits)} | {_fmt(b, digits)} | {ratio:.2f}x |"


def run_header(backend: str, command: str, note: str = "") -> list[str]:
    """Date, machine facts and the exact command: the first lines of a results section."""
    return [
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {os.cpu_count()} CPUs "
        f"(`nproc` {len(os.sched_getaffinity(0))}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {backend}.{note}",
        "",
        "Command:",
        "",
        "```sh",
        command,
        "```",
        "",
    ]


def render(
    totals: dict[tuple[str, str], Totals],
    setup: Setup,
    args: argparse.Namespace,
    rss: dict[str, float],
    command: str,
) -> tuple[str, str]:
    """The RESULTS.md section (title, body) for this run."""
    backend = "PostgreSQL" if setup.database_url else "SQLite"
    t = {m.key: totals[m.key, "trellis"] for m in METRICS}
    b = {m.key: totals[m.key, "baseline"] for m in METRICS}
    lines = [
        *run_header(backend, command),
        f"Workload: entity `item` (6 fields, indexes [status, amount] and [amount]), "
        f"{setup.rows:,} rows bulk-loaded (then ANALYZE) before the run; {args.rounds} "
        f"round(s) of {args.seconds:g} s per measurement, Trellis and the baseline alternating "
        "(A B, B A, ...); `python -m trellis serve` and `bench/baseline_app.py` are single "
        "uvicorn processes over the same database; clients are keep-alive "
        "`http.client` connections in separate processes on the same machine. List request: "
        f"`filter={LIST_FILTER}&sort={LIST_SORT}&limit={LIST_LIMIT}` (plus the capped count). "
        "Server CPU is utime + stime of the server process from `/proc/<pid>/stat`"
        + (" (the PostgreSQL backends' CPU is not included)" if setup.database_url else "")
        + ". Ratio = Trellis / baseline.",
        "",
    ]

    def table(title: str, rows: list[str]) -> None:
        lines.extend(
            [f"### {title}", "", "| | Trellis | baseline | ratio |", "|---|---:|---:|---:|"]
        )
        lines.extend(rows)
        lines.append("")

    for key in ("create1", "create8"):
        metric = next(m for m in METRICS if m.key == key)
        table(
            metric.title,
            [
                _row("creates/s", t[key].rate, b[key].rate, 1),
                _row("server CPU ms/create", t[key].cpu_ms, b[key].cpu_ms),
                _row("latency p50 ms", t[key].percentile(50), b[key].percentile(50)),
                _row("latency p95 ms", t[key].percentile(95), b[key].percentile(95)),
            ],
        )
    for key in ("read", "list"):
        metric = next(m for m in METRICS if m.key == key)
        table(
            metric.title,
            [
                _row("latency p50 ms", t[key].percentile(50), b[key].percentile(50)),
                _row("latency p95 ms", t[key].percentile(95), b[key].percentile(95)),
                _row("server CPU ms/request", t[key].cpu_ms, b[key].cpu_ms),
                _row("requests/s", t[key].rate, b[key].rate, 1),
            ],
        )
    lines.append(
        f"RSS after the run: Trellis {rss['trellis']:.0f} MiB, baseline {rss['baseline']:.0f} MiB."
    )
    errors = {k: v.errors for k, v in totals.items() if v.errors}
    if errors:
        first = next(v.first_error for v in totals.values() if v.errors)
        lines.append(f"Failed requests (not counted): {errors}; first: {first}")
    lines.extend(["", verdict(t, b)])
    title = f"API overhead: Trellis vs hand-written endpoint ({backend})"
    return title, "\n".join(lines) + "\n"


def verdict(t: dict[str, Totals], b: dict[str, Totals]) -> str:
    """One line against the budget: metadata layer ≤ 1.3x the hand-written endpoint."""
    cpu = {k: t[k].cpu_ms / b[k].cpu_ms for k in t}
    speed = {
        "create1": b["create1"].rate / t["create1"].rate,
        "create8": b["create8"].rate / t["create8"].rate,
        "read": t["read"].percentile(50) / b["read"].percentile(50),
        "list": t["list"].percentile(50) / b["list"].percentile(50),
    }

    def part(values: dict[str, float]) -> str:
        return ", ".join(
            f"{k} {v:.2f}x{'' if round(v, 2) <= BUDGET else ' ✗'}" for k, v in values.items()
        )

    ok_cpu = all(round(v, 2) <= BUDGET for v in cpu.values())
    ok_speed = all(round(v, 2) <= BUDGET for v in speed.values())
    status = "PASS" if ok_cpu and ok_speed else "FAIL"
    return (
        f"**Verdict vs budget (metadata layer ≤ {BUDGET}x hand-written): {status}** — server "
        f"CPU per op: {part(cpu)} ({'within' if ok_cpu else 'over'}); throughput/latency "
        f"(baseline rate ÷ Trellis rate for creates, Trellis p50 ÷ baseline p50 for reads): "
        f"{part(speed)} ({'within' if ok_speed else 'over'})."
    )


def write_section(path: Path, title: str, body: str) -> None:
    """Replace the ``## title`` section of ``path`` (or append it); keep the other sections."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    heading = f"## {title}"
    lines = text.splitlines()
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        new = [*lines[:start], heading, "", *body.rstrip("\n").splitlines(), "", *lines[end:]]
    else:
        new = [*lines, "", heading, "", *body.rstrip("\n").splitlines()]
    path.write_text("\n".join(new).rstrip("\n") + "\n", encoding="utf-8")


def say(text: str) -> None:
    """Progress on standard output."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# main ---------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; ``--quick`` shrinks everything to a smoke run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="rows loaded (default 100000)")
    parser.add_argument(
        "--seconds", type=float, default=None, help="seconds per measurement window (default 3)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 3)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny smoke run (2,000 rows, 0.5 s windows, 1 round, no results file)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help=f"results file (default {RESULTS.relative_to(BENCH_DIR.parent)})",
    )
    parser.add_argument("--no-results", action="store_true", help="do not write the results file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args(argv)
    quick = {"rows": 2000, "seconds": 0.5, "rounds": 1}
    full = {"rows": 100_000, "seconds": 3.0, "rounds": 3}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.results is None and not args.quick:
        args.results = RESULTS
    if args.no_results:
        args.results = None
    return args


@contextmanager
def workspace(database_url: str | None, keep: bool) -> Iterator[tuple[Path, str]]:
    """A temporary data dir and a unique schema prefix, removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="trellis-bench-"))
    prefix = f"bench{uuid.uuid4().hex[:8]}_" if database_url else ""
    try:
        yield data_dir, prefix
    finally:
        if database_url:
            from pg_schemas import drop_schemas  # SQLAlchemy on use only

            drop_schemas(database_url, prefix)
        if keep:
            say(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the whole benchmark once."""
    args = parse_args(argv)
    command = " ".join(
        ["python", "bench/bench_api.py", *(argv if argv is not None else sys.argv[1:])]
    )
    began = time.monotonic()
    with workspace(args.database_url, args.keep) as (data_dir, prefix):
        say(f"data dir {data_dir}; loading {args.rows:,} rows ...")
        loaded = time.monotonic()
        setup = prepare(data_dir, args.database_url, prefix, args.rows)
        say(f"  loaded in {time.monotonic() - loaded:.1f} s; starting servers ...")
        servers = [start_server("trellis", setup), start_server("baseline", setup)]
        try:
            with multiprocessing.get_context("spawn").Pool(8) as pool:
                for server in servers:
                    wait_ready(server, setup.token)
                problems = check_same_answers(servers, setup.token)
                if problems:
                    raise SystemExit("The servers answer differently:\n" + "\n".join(problems))
                say("  both servers answer the same; measuring ...")
                totals = run_rounds(pool, servers, setup, args.seconds, args.rounds)
                rss = {s.name: s.rss_mib() for s in servers}
        finally:
            for server in servers:
                server.stop()
    title, body = render(totals, setup, args, rss, command)
    say(f"\n## {title}\n\n{body}")
    if args.results is not None:
        write_section(args.results, title, body)
        say(f"written to {args.results}")
    say(f"total time {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
