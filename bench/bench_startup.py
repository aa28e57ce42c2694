"""Process start: the system-schema sync with and without the fingerprint skip.

Each round starts a ``Runtime`` over the same (already synced) store twice, once
comparing the declared system tables with the database through Alembic as before
(the baseline) and once through the fingerprint kept in ``_schema_state``; the figure
is the ratio of the process CPU time of the two, alternated in one process::

    python bench/bench_startup.py [--database-url postgresql+psycopg://...] [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.sync import apply_plan, ensure_schema, plan_sync
from trellis.platform.runtime import Runtime, core
from trellis.tenants.registry.tables import build_system_metadata


def _always_compare(self: Runtime) -> None:
    """The sync as it was before the fingerprint: always compared through Alembic."""
    schema = self.engines.system_schema
    metadata = build_system_metadata(schema)
    with self.engines.system.connect() as conn, conn.begin():
        ensure_schema(conn, schema)
        apply_plan(conn, plan_sync(conn, metadata, schema), metadata)


def _start_cpu(config: RuntimeConfig) -> float:
    started = time.process_time()
    runtime = Runtime(config)
    spent = time.process_time() - started
    runtime.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    extra = (
        {"database_url": args.database_url, "schema_prefix": prefix} if args.database_url else {}
    )
    config = RuntimeConfig(data_dir=Path(tempfile.mkdtemp()), **extra)
    Runtime(config).close()  # the first start creates the tables and records the fingerprint
    fingerprinted = core.Runtime._sync_system_schema
    before: list[float] = []
    after: list[float] = []
    try:
        for _ in range(args.rounds):
            core.Runtime._sync_system_schema = _always_compare  # type: ignore[method-assign]
            before.append(_start_cpu(config))
            core.Runtime._sync_system_schema = fingerprinted  # type: ignore[method-assign]
            after.append(_start_cpu(config))
    finally:
        core.Runtime._sync_system_schema = fingerprinted  # type: ignore[method-assign]
        if args.database_url:
            drop_schemas(args.database_url, prefix)
    b, a = statistics.median(before), statistics.median(after)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{backend}: Runtime start CPU, median of {args.rounds} alternated rounds")  # noqa: T201
    print(f"  always compared (before): {b * 1000:.1f} ms")  # noqa: T201
    print(f"  fingerprint (after):      {a * 1000:.1f} ms  ratio {a / b:.2f}x")  # noqa: T201


if __name__ == "__main__":
    main()
