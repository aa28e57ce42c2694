"""Publishing a generated 50-entity package, and a no-op publish, through the lifecycle.

    python bench/bench_meta_publish.py [--database-url URL] [--rounds 5]

1. First publish of a generated package (50 entities x 20 fields, indexes, a
   validation each) to a new tenant, timed once (budget: < 5 s on PostgreSQL).
2. A no-op publish of the unchanged package through ``trellis publish``'s path
   (``publish_package``: publish lock, plan with data counts + metadata diff, the
   publish itself) beside the bare ``publish()`` of the same package, alternating
   rounds (ratio = lifecycle / bare); and an empty draft's publish (``publish_draft``),
   which answers "unchanged" without re-reading the schema (budget: < 1 s).

Without ``--database-url`` it runs on SQLite files in a temporary folder. Results are
appended to bench/RESULTS.md under their own heading.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.platform.config import RuntimeConfig
from trellis.platform.drafts import publish_draft
from trellis.platform.drafts.package import publish_package
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Metadata lifecycle: 50-entity first publish, no-op publish"
TYPES = ["string", "integer", "decimal", "date", "boolean", "text", "email"]


def write_package(root: Path, entities: int = 50, fields: int = 20) -> Path:
    """A generated package: ``entities`` entities of ``fields`` fields each."""
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: bench\nversion: 1.0.0\nlabel: Bench\n", "utf-8")
    for e in range(entities):
        lines = [f"label: Entity {e}", "title: f0", "fields:"]
        for f in range(fields):
            kind = TYPES[f % len(TYPES)]
            extra = ", max_length: 80" if kind == "string" else ""
            lines.append(f"  f{f}: {{type: {kind}{extra}}}")
        lines += ["indexes:", "  - [f0, f1]", "validations:"]
        lines.append('  - {when: "f1 < 0", field: f1, message: "Must not be negative."}')
        (root / "entities" / f"e{e:02d}.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--rounds", type=int, default=5, help="no-op publishes of each kind")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="trellis-bench-meta-"))
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    config = RuntimeConfig(
        data_dir=folder / "data",
        database_url=args.database_url,
        schema_prefix=prefix if args.database_url else "",
        version_check_interval=0.0,
    )
    runtime = Runtime(config)
    try:
        package = write_package(folder / "pkg")
        runtime.registry.create_tenant("bench")
        started = time.perf_counter()
        publish(runtime, "bench", package)
        first = time.perf_counter() - started
        draft: list[float] = []
        lifecycle: list[float] = []
        bare: list[float] = []
        for n in range(args.rounds):
            order = [("lifecycle", lifecycle), ("bare", bare)]
            for kind, times in order if n % 2 == 0 else reversed(order):
                started = time.perf_counter()
                if kind == "lifecycle":
                    result, _, _ = publish_package(runtime, "bench", package)
                else:
                    result = publish(runtime, "bench", package)
                times.append(time.perf_counter() - started)
                if not result.unchanged:
                    raise SystemExit(f"{kind}: the no-op publish changed something")
            started = time.perf_counter()
            publish_draft(runtime, "bench", actor="bench", comment="no-op", confirm=False)
            draft.append(time.perf_counter() - started)
        backend = "PostgreSQL" if args.database_url else "SQLite"
        medians = (statistics.median(lifecycle), statistics.median(bare), statistics.median(draft))
        report(backend, first, medians, args.rounds)
    finally:
        runtime.close()
        if args.database_url:
            drop_schemas(args.database_url, prefix)
        shutil.rmtree(folder, ignore_errors=True)


def report(backend: str, first: float, medians: tuple[float, float, float], rounds: int) -> None:
    """Print the table and append it to RESULTS.md."""
    lifecycle, bare, draft = medians
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join(
        [
            "",
            f"{HEADING} ({backend})",
            "",
            f"Date: {stamp}. Machine: {platform.machine()}, Python {platform.python_version()}, "
            f"{backend}; {rounds} rounds of each no-op publish, alternating.",
            "",
            "Command: `python bench/bench_meta_publish.py"
            + (" --database-url <postgresql URL>`" if backend == "PostgreSQL" else "`"),
            "",
            "| | seconds | budget |",
            "|---|---:|---:|",
            f"| first publish, 50 entities x 20 fields | {first:.2f} | < 5 |",
            f"| no-op `trellis publish` path, unchanged package (median) | {lifecycle:.3f} | |",
            f"| no-op bare `publish()` (median, baseline) | {bare:.3f} | |",
            f"| ratio lifecycle / bare | {lifecycle / bare:.2f}x | |",
            f"| publish of an empty draft (median) | {draft:.3f} | < 1 |",
            "",
        ]
    )
    print(text)  # noqa: T201
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    main()
