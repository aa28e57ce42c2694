"""What an idle tenant costs the job thread per round, beside the smallest database touch.

    python bench/bench_dispatch_idle.py [--tenants 50] [--rounds 5]

``--tenants`` tenants get the CRM seed (cron, SLA and reminder rules included) and
nothing due. After one warm-up round (which arms the cron rules), the dispatcher's
round over all of them is timed (process CPU per tenant per round), interleaved with
the baseline: opening each tenant's connection and running ``SELECT 1``. Since the job
thread runs a round every second, the per-tenant figure times 1,000 is the share of
one core that 1,000 idle tenants take. Results are appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SEED = Path(__file__).resolve().parents[1] / "seed" / "crm"


def _cpu_ms_per_tenant(run: Callable[[], object], tenants: int) -> float:
    started = time.process_time()
    run()
    return (time.process_time() - started) * 1000 / tenants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="trellis-bench-idle-"))
    runtime = Runtime(RuntimeConfig(data_dir=tmp / "data"))
    names = [f"idle{i:03d}" for i in range(args.tenants)]
    try:
        for name in names:
            runtime.registry.create_tenant(name)
            publish(runtime, name, SEED)
        dispatcher = Dispatcher(runtime)
        dispatcher.run_due(drain=False)  # arms the cron rules

        def touch() -> None:
            for name in names:
                with runtime.engines.tenant_connection(name) as conn:
                    conn.execute(sa.text("SELECT 1")).scalar()

        rounds: list[float] = []
        touches: list[float] = []
        for _ in range(args.rounds):
            rounds.append(_cpu_ms_per_tenant(lambda: dispatcher.run_due(drain=False), len(names)))
            touches.append(_cpu_ms_per_tenant(touch, len(names)))
    finally:
        runtime.close()
        shutil.rmtree(tmp, ignore_errors=True)
    _report(args, statistics.median(rounds), statistics.median(touches))


def _report(args: argparse.Namespace, round_ms: float, touch_ms: float) -> None:
    lines = [
        "",
        "## Jobs: an idle tenant's cost per dispatcher round (SQLite)",
        "",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
        f"{os.getloadavg()[0]:.2f}. Command: `python bench/bench_dispatch_idle.py "
        f"--tenants {args.tenants} --rounds {args.rounds}`",
        "",
        "| measure (CPU per tenant, median of rounds) | ms |",
        "|---|---:|",
        f"| dispatcher round, nothing due | {round_ms:.3f} |",
        f"| baseline: open the tenant's connection, `SELECT 1` | {touch_ms:.3f} |",
        f"| ratio | {round_ms / touch_ms:.2f}x |",
        "",
        f"1,000 idle tenants at one round a second: {round_ms:.2f} s of CPU per second "
        f"({round_ms * 100:.0f} % of one core).",
        "",
    ]
    text = "\n".join(lines)
    sys.stdout.write(text)
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(text)


if __name__ == "__main__":
    main()
