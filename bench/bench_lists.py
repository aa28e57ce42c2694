"""List pages before and after a change, in one run: the same data, two source trees.

    python bench/bench_lists.py [--before main] [--rows 100000] [--seconds 2] [--rounds 5]
                                [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                [--quick] [--results bench/RESULTS.md | --no-results]

``--before`` (a git revision) is exported with ``git archive`` into a temporary folder; the
checkout holding this script is "after". A tenant ``bench`` running ``bench/lists_package``
(the peer benchmark's contact, once without and once with an index on ``score``) gets
``--rows`` rows per entity. Each tree then runs in its own worker process that imports
Trellis from that tree only (its six folders linked under a temporary ``trellis/``, as
``.ci/mypy`` does) and serves list pages through ``RecordQuery.page`` (the public list
path, count included) on a tenant connection per page, as a request does. Both workers
must give the same answers (ids, cursor, count), every row must match the filter and the
page must be sorted, or the run stops without a ratio. Rounds alternate the order (A B,
B A, ...); CPU is the worker's ``time.process_time`` per page (in-process: no HTTP layer,
which neither side changes). Ratio = after / before.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from bench_api import (
    RESULTS,
    TENANT,
    analyze,
    make_config,
    open_tenant,
    run_header,
    say,
    workspace,
    write_section,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
PACKAGE = BENCH_DIR / "lists_package"
FOLDERS = ("platform", "metadata", "rules", "ui", "tenants", "seed")
FIRST = ["Alex", "Maria", "John", "Xena", "Peter", "Linda", "Max", "Sara", "Felix", "Anna"]
FIRST += ["Tom", "Dexter", "Laura", "Paul", "Nora", "Rex", "Emma", "Hugo", "Ivy", "Omar"]
LAST = ["Smith", "Jones", "Baxter", "Brown", "Miller", "Cox", "Davis", "Garcia", "Wilson"]
LAST += ["Moore", "Taylor", "Fox", "Clark", "Lewis", "Walker", "Hall", "Young", "King"]
DOMAINS = ["mail.test", "corp.org", "inbox.net"]  # ~61% of emails hold an x
RARE = "Quinn"  # one row in 5,000: the short first page


@dataclass(frozen=True, slots=True)
class ListCase:
    """One list request: entity, filter, sort and what a row must satisfy."""

    key: str
    title: str
    entity: str
    filter: str
    sort: str = "-score"
    limit: int = 50

    def matches(self, row: dict[str, Any]) -> bool:
        """The filter, evaluated in plain Python on an answered row."""
        email = str(row["email"]).lower()
        if self.key == "short":
            return bool(row["score"] > 50 and email.startswith(RARE.lower()))
        return bool(row["score"] > 50 and "x" in email)


PEER_FILTER = 'score > 50 and email contains "x"'
CASES = (
    ListCase("peer", "peer page, no index on score", "contact", PEER_FILTER),
    ListCase("indexed", "peer page, index on score", "contact_ix", PEER_FILTER),
    ListCase(
        "short",
        "short first page (rows < limit), index on score",
        "contact_ix",
        f'score > 50 and email starts_with "{RARE.lower()}"',
    ),
)


# set-up ------------------------------------------------------------------------------------
def _rows(count: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(11)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        first = RARE if i % 5000 == 0 else rng.choice(FIRST)
        last = rng.choice(LAST)
        yield {
            "created_at": at + timedelta(seconds=i),
            "updated_at": at + timedelta(seconds=i),
            "owner_id": 1,
            "version": 1,
            "first_name": first,
            "last_name": last,
            "email": f"{first.lower()}.{last.lower()}{i}@{rng.choice(DOMAINS)}",
            "score": rng.randint(0, 100),
        }


def prepare(data_dir: Path, database_url: str | None, prefix: str, rows: int) -> None:
    """Create the tenant, publish the package and load ``rows`` rows into each entity."""
    from trellis.platform.runtime import Runtime

    runtime = Runtime(make_config(data_dir, database_url, prefix))
    try:
        open_tenant(runtime, PACKAGE)
        app = runtime.app(TENANT)
        data = list(_rows(rows))
        with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
            for entity in ("contact", "contact_ix"):
                for start in range(0, len(data), 10_000):
                    conn.execute(app.table(entity).insert(), data[start : start + 10_000])
        analyze(runtime)
    finally:
        runtime.close()


def link_tree(source: Path, shim: Path) -> Path:
    """``shim/trellis/`` linking the six folders and the ``trellis/`` files of ``source``."""
    package = shim / "trellis"
    package.mkdir(parents=True)
    for name in FOLDERS:
        (package / name).symlink_to(source / name)
    for path in (source / "trellis").iterdir():
        (package / path.name).symlink_to(path)
    return shim


def export_tree(revision: str, target: Path) -> Path:
    """The files of ``revision`` (``git archive``) under ``target``."""
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision],
        check=True,
        capture_output=True,
    ).stdout
    archive_path = target.parent / "before.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(target, filter="data")
    return target


# workers -----------------------------------------------------------------------------------
def serve_worker(shim: str, data_dir: str, database_url: str | None, prefix: str) -> None:
    """Worker process: import Trellis from ``shim``, answer commands on stdin."""
    sys.path.insert(0, shim)
    from trellis.platform.records import query as q
    from trellis.platform.runtime import Runtime
    from trellis.rules.expr import EvalContext

    if not q.__file__ or not q.__file__.startswith(shim):
        raise SystemExit(f"Trellis was imported from {q.__file__}, not from {shim}")
    runtime = Runtime(make_config(Path(data_dir), database_url, prefix))
    app = runtime.app(TENANT)
    query = q.RecordQuery(app, count_cap=runtime.config.count_cap)
    ectx = EvalContext(now=datetime.now(UTC), user_id=1)
    cases = {c.key: c for c in CASES}

    def page(case: ListCase) -> Any:
        entity = app.entities[case.entity]
        sort = q.parse_sort(entity, case.sort)
        request = q.ListRequest(case.filter, sort, case.limit, None, None)
        with runtime.engines.tenant_connection(TENANT) as conn:
            return query.page(conn, entity, request, ectx)

    for line in sys.stdin:
        command = json.loads(line)
        case = cases[command["case"]]
        if command["op"] == "answer":
            result = page(case)
            rows = [{k: r[k] for k in ("id", "email", "score")} for r in result.rows]
            answer = {"rows": rows, "next": result.next_cursor, "count": result.count}
            reply: dict[str, Any] = {**answer, "exact": result.count_exact}
        else:
            latencies = []
            cpu = time.process_time()
            end = time.perf_counter() + command["seconds"]
            while (began := time.perf_counter()) < end:
                page(case)
                latencies.append(time.perf_counter() - began)
            reply = {"cpu": time.process_time() - cpu, "latencies": latencies}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    runtime.close()


@dataclass(slots=True)
class Worker:
    """A worker subprocess serving list pages from one source tree."""

    name: str
    process: subprocess.Popen[str]

    def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send one command; wait for its answer."""
        stdin: IO[str] | None = self.process.stdin
        stdout: IO[str] | None = self.process.stdout
        assert stdin is not None and stdout is not None  # set by Popen
        stdin.write(json.dumps(command) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise SystemExit(f"The {self.name} worker stopped (exit {self.process.wait()}).")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        """Close its input, then wait (terminate after 10 s)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait()


def start_worker(
    name: str, shim: Path, args: argparse.Namespace, data_dir: Path, prefix: str
) -> Worker:
    """Start a worker over the tree linked in ``shim``."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(shim)]
    command += ["--data-dir", str(data_dir), "--prefix", prefix]
    if args.database_url:
        command += ["--database-url", args.database_url]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TRELLIS_REDIS_URL")}
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=data_dir
    )
    return Worker(name, process)


# measuring ---------------------------------------------------------------------------------
def check_answers(workers: Sequence[Worker]) -> list[str]:
    """Both trees give the same page for every case; the rows match and are sorted."""
    problems = []
    for case in CASES:
        answers = [w.ask({"op": "answer", "case": case.key}) for w in workers]
        rows = answers[0]["rows"]
        if any(a != answers[0] for a in answers[1:]):
            problems.append(f"{case.key}: the trees answer differently: {answers}")
        if not rows or not all(case.matches(r) for r in rows):
            problems.append(f"{case.key}: a row does not match the filter (or none came)")
        if [r["score"] for r in rows] != sorted((r["score"] for r in rows), reverse=True):
            problems.append(f"{case.key}: the page is not sorted by -score")
    return problems


@dataclass(slots=True)
class Totals:
    """One (case, tree) pair summed over rounds."""

    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def cpu_ms(self) -> float:
        """Worker CPU milliseconds per page."""
        return 1000 * self.cpu / len(self.latencies) if self.latencies else float("nan")

    def p50_ms(self) -> float:
        """Median latency in milliseconds."""
        return 1000 * statistics.median(self.latencies) if self.latencies else float("nan")


def run_rounds(
    workers: Sequence[Worker], seconds: float, rounds: int
) -> dict[tuple[str, str], Totals]:
    """Every case on every tree, alternating which tree goes first each round."""
    totals = {(c.key, w.name): Totals() for c in CASES for w in workers}
    for worker in workers:  # warm-up: compiled app, cached filter, connections
        for case in CASES:
            worker.ask({"op": "time", "case": case.key, "seconds": min(0.5, seconds)})
    for round_no in range(rounds):
        order = list(workers) if round_no % 2 == 0 else list(reversed(workers))
        for case in CASES:
            for worker in order:
                reply = worker.ask({"op": "time", "case": case.key, "seconds": seconds})
                total = totals[case.key, worker.name]
                total.cpu += reply["cpu"]
                total.latencies.extend(reply["latencies"])
        say(f"  round {round_no + 1}/{rounds} done")
    return totals


def render(
    totals: dict[tuple[str, str], Totals], args: argparse.Namespace, before: str, command: str
) -> tuple[str, str]:
    """The results section: title and Markdown body."""
    engine = "PostgreSQL" if args.database_url else "SQLite"
    note = f" Before: `{args.before}` ({before}); after: this checkout."
    lines = [
        *run_header(engine, command, note),
        f"Workload: {args.rows:,} contacts per entity (peer benchmark shape, ~30% match "
        f"`{PEER_FILTER}`), limit 50, sort `-score`, count included; {args.rounds} round(s) "
        f"of {args.seconds:g} s per case and tree, alternating. In process through "
        "`RecordQuery.page`; CPU = worker process time per page. Ratio = after / before.",
        "",
        "| case | before CPU ms/page | after CPU ms/page | ratio | before p50 ms | after p50 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in CASES:
        b, a = totals[case.key, "before"], totals[case.key, "after"]
        lines.append(
            f"| {case.title} | {b.cpu_ms:.2f} | {a.cpu_ms:.2f} | {a.cpu_ms / b.cpu_ms:.2f}x "
            f"| {b.p50_ms():.2f} | {a.p50_ms():.2f} |"
        )
    return f"Lists: before/after on {engine}", "\n".join(lines) + "\n"


# main --------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; ``--quick`` shrinks everything to a smoke run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="git revision to compare against")
    parser.add_argument("--rows", type=int, default=None, help="rows per entity (100000)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per window (2)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (5)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--quick", action="store_true", help="2,000 rows, 0.3 s, 1 round")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file")
    parser.add_argument("--no-results", action="store_true", help="do not write results")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = {"rows": 2000, "seconds": 0.3, "rounds": 1} if args.quick else {}
    sizes = {"rows": 100_000, "seconds": 2.0, "rounds": 5} | sizes
    for name, value in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.no_results or args.quick:
        args.results = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison once (or serve as a worker)."""
    args = parse_args(argv)
    if args.worker:
        serve_worker(args.worker, args.data_dir, args.database_url, args.prefix)
        return 0
    command = " ".join(["python bench/bench_lists.py", *(argv or sys.argv[1:])])
    before = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", args.before],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with workspace(args.database_url, args.keep) as (data_dir, prefix):
        say(f"data dir {data_dir}; loading {args.rows:,} rows per entity ...")
        prepare(data_dir, args.database_url, prefix, args.rows)
        trees = Path(tempfile.mkdtemp(prefix="trellis-trees-", dir=data_dir))
        shims = {
            "before": link_tree(export_tree(args.before, trees / "src"), trees / "before"),
            "after": link_tree(REPO, trees / "after"),
        }
        workers = [start_worker(n, s, args, data_dir, prefix) for n, s in shims.items()]
        try:
            problems = check_answers(workers)
            if problems:
                raise SystemExit("Invalid run, no ratio:\n" + "\n".join(problems))
            say("  both trees answer the same; measuring ...")
            totals = run_rounds(workers, args.seconds, args.rounds)
        finally:
            for worker in workers:
                worker.stop()
    title, body = render(totals, args, before, command)
    say(f"\n## {title}\n\n{body}")
    if args.results is not None:
        write_section(args.results, title, body)
        say(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
