"""Time travel: ``as_of`` on a record with 1,000 changes against a plain read by id, one run.

    python bench/bench_history.py [--changes 1000] [--rounds 200]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--results bench/RESULTS.md | --no-results]

A tenant ``bench`` with one entity gets a record updated ``--changes`` times (one change
row each, a second apart, through the save pipeline). Then, alternating in each round,
the services the API handlers run (no HTTP layer, which both share) answer: a read by id
(``RecordsService.read``), ``as_of`` at the creation time (every change undone: the worst
case), and ``as_of`` half-way. Figures are wall-clock medians and p95 per call, the budget
is ≤10 ms for ``as_of`` with 1,000 changes (issue 17), and the ratio is against the read.
The answers are checked: ``as_of`` at the creation time equals the record as created.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_api import (
    RESULTS,
    TENANT,
    make_config,
    open_tenant,
    run_header,
    say,
    workspace,
    write_section,
)

BUDGET_MS = 10.0
ENTITY = """\
label: Item
title: name
fields:
  name: {type: string, required: true}
  amount: {type: integer}
  note: {type: text}
  stage: {type: enum, options: [open, won, lost]}
"""


def _package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: hist\nversion: 1.0.0\nlabel: History\n", "utf-8")
    (root / "entities" / "item.yaml").write_text(ENTITY, encoding="utf-8")
    return root


def _timed(call: Callable[[], object], rounds: int) -> list[float]:
    return [_once(call) for _ in range(rounds)]


def _once(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def run(changes: int, rounds: int, database_url: str | None) -> tuple[dict[str, list[float]], str]:
    """Build the record, then time the three calls; the backend's name."""
    from trellis.platform.api.gate import ApiGate
    from trellis.platform.config.clock import FakeClock
    from trellis.platform.runtime import Runtime

    with workspace(database_url, keep=False) as (data_dir, prefix):
        start = datetime(2026, 1, 1, tzinfo=UTC)
        clock = FakeClock(start)
        runtime = Runtime(make_config(data_dir, database_url, prefix), clock=clock)
        try:
            token = open_tenant(runtime, _package(data_dir / "pkg"))
            api = ApiGate(runtime)
            call = api.call(TENANT, f"Bearer {token}")
            entity = call.app.entities["item"]
            records = api.services.records
            created = records.create(call, entity, {"name": "Item", "amount": 0}).record
            record_id = int(created["id"])
            stages = ("open", "won", "lost")
            for i in range(1, changes + 1):
                clock.advance(1)
                data = {"amount": i, "note": f"change {i}", "stage": stages[i % 3]}
                records.update(call, entity, record_id, data, None)
            history = api.services.history
            first = start
            middle = start + timedelta(seconds=changes // 2)
            past = history.as_of(call, entity, record_id, first).record
            if past != created:
                raise SystemExit("as_of at the creation time is not the record as created")
            timings: dict[str, list[float]] = {"read": [], "as_of_first": [], "as_of_middle": []}
            calls: dict[str, Callable[[], object]] = {
                "read": lambda: records.read(call, entity, record_id),
                "as_of_first": lambda: history.as_of(call, entity, record_id, first),
                "as_of_middle": lambda: history.as_of(call, entity, record_id, middle),
            }
            for fn in calls.values():
                _timed(fn, 10)  # warm caches and connections
            for _ in range(rounds):
                for name, fn in calls.items():
                    timings[name].append(_once(fn))
        finally:
            runtime.close()
    return timings, "PostgreSQL" if database_url else "SQLite"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def render(timings: dict[str, list[float]], changes: int, backend: str, command: str) -> str:
    """The results section: medians, p95 and ratios against the read by id."""
    read = statistics.median(timings["read"])
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = run_header(backend, command, f" Load average at the end: {load} (shared machine).")
    lines += ["| call | median ms | p95 ms | ratio to read by id |", "|---|---:|---:|---:|"]
    labels = {
        "read": "read by id",
        "as_of_first": f"as_of at creation ({changes} changes undone)",
        "as_of_middle": f"as_of half-way ({changes // 2} changes undone)",
    }
    for name, label in labels.items():
        median, p95 = statistics.median(timings[name]), _p95(timings[name])
        lines.append(f"| {label} | {median:.2f} | {p95:.2f} | {median / read:.1f} |")
    worst = statistics.median(timings["as_of_first"])
    met = "met" if worst <= BUDGET_MS else "NOT met"
    lines += ["", f"Budget (as_of with {changes} changes ≤ {BUDGET_MS:.0f} ms): **{met}** "
              f"({worst:.2f} ms median, worst case)."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print (and record) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    timings, backend = run(args.changes, args.rounds, args.database_url)
    command = "python bench/bench_history.py " + " ".join(argv or sys.argv[1:])
    text = render(timings, args.changes, backend, command.strip())
    say(text)
    if not args.no_results:
        title = f"Time travel: as_of with {args.changes} changes ({backend})"
        write_section(args.results, title, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
