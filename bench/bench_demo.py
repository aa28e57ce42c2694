"""``tenant create --demo``: the CRM demo through the save pipeline vs a plain bulk insert.

In one process: tenant A is created from the CRM and filled with ``create_demo`` (every
record through the save pipeline: validations, formulas, rules, workflows, stage
history, change rows, search index, rollups per batch); tenant B is created the same
way and gets the same planned rows, in their final state, by one ``INSERT`` per entity
(executemany), the baseline. Wall and process CPU time of each::

    python bench/bench_demo.py [--scale 1] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

from trellis.cli import create_tenant
from trellis.metadata.model import FieldType
from trellis.platform.config import RuntimeConfig
from trellis.platform.demo_data import create_demo, demo_files, plan_demo
from trellis.platform.demo_data.generate import Plan, Ref
from trellis.platform.demo_data.load import load_users
from trellis.platform.runtime import Runtime
from trellis.seed.crm import PACKAGE_PATH

ANCHOR = date(2026, 12, 1)
ADMIN = "admin@bench.test"
_DECIMAL = (FieldType.MONEY, FieldType.DECIMAL, FieldType.PERCENT)


def _timed(work: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def _bulk_insert(runtime: Runtime, tenant: str, plan: Plan) -> int:
    """The baseline: each planned record's final values, one executemany per entity."""
    app = runtime.app(tenant)
    user_ids = load_users(runtime, tenant, plan)
    rows: dict[str, list[dict[str, Any]]] = {}
    for record in plan.records:
        fields = app.entities[record.entity].entity.fields
        values = dict(record.values)
        for _, change in record.updates:
            values.update(change)
        row: dict[str, Any] = {}
        for name, value in values.items():
            f = fields[name]
            if isinstance(value, Ref):
                value = value.index + 1  # a fresh tenant numbers rows from 1
            elif f.type in _DECIMAL and value is not None:
                value = Decimal(str(value))
            elif f.type is FieldType.DATE and isinstance(value, str):
                value = date.fromisoformat(value)
            row[name] = value
        at: datetime = record.updates[-1][0] if record.updates else record.created_at
        owner = user_ids[record.owner] if record.owner is not None else None
        row.update(created_at=record.created_at, updated_at=at, owner_id=owner, version=1)
        rows.setdefault(record.entity, []).append(row)
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        for entity, batch in rows.items():
            table = app.table(entity)
            columns = {k for row in batch for k in row}
            full = [{k: row.get(k) for k in columns} for row in batch]
            conn.execute(table.insert(), full)
    return sum(len(b) for b in rows.values())


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    files = demo_files(Path(str(PACKAGE_PATH)))
    with tempfile.TemporaryDirectory() as tmp:
        config = RuntimeConfig(data_dir=Path(tmp), version_check_interval=0.0)
        if args.database_url:
            config = RuntimeConfig(
                data_dir=Path(tmp), database_url=args.database_url, schema_prefix=prefix
            )
        runtime = Runtime(config)
        try:
            wall_a, cpu_a, _ = _timed(lambda: create_tenant(runtime, "demo-a", "crm", ADMIN, None))
            wall_d, cpu_d, result = _timed(
                lambda: create_demo(
                    runtime, "demo-a", files, admin=ADMIN, scale=args.scale, anchor=ANCHOR
                )
            )
            create_tenant(runtime, "demo-b", "crm", ADMIN, None)
            plan = plan_demo(runtime, "demo-b", files, scale=args.scale, anchor=ANCHOR)
            wall_b, cpu_b, inserted = _timed(lambda: _bulk_insert(runtime, "demo-b", plan))
        finally:
            runtime.close()
            if args.database_url:
                drop_schemas(args.database_url, prefix)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    _out(f"backend {backend}, scale {args.scale}")
    _out(f"tenant create (publish the CRM): wall {wall_a:.1f} s, CPU {cpu_a:.1f} s")
    _out(
        f"demo through the pipeline: {result.total} records, {result.history_saves} history "
        f"saves, {result.rollups_totalled} rollup totals: wall {wall_d:.1f} s, CPU {cpu_d:.1f} s"
    )
    _out(f"baseline bulk insert: {inserted} rows: wall {wall_b:.1f} s, CPU {cpu_b:.1f} s")
    _out(f"tenant create --demo total: wall {wall_a + wall_d:.1f} s, CPU {cpu_a + cpu_d:.1f} s")
    _out(f"ratio pipeline / bulk insert: wall {wall_d / wall_b:.1f}x, CPU {cpu_d / cpu_b:.1f}x")


if __name__ == "__main__":
    main()
