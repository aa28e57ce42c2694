"""File import through the full save pipeline against a plain batched INSERT, one run.

    python bench/bench_import.py [--rows 100000] [--batch 1000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--results bench/RESULTS.md | --no-results]

A tenant ``bench`` gets an entity with validations and formulas; a CSV of ``--rows`` rows
is imported with ``run_import`` (the code behind ``trellis import``: streaming reader,
column map, conversion, one savepoint and the save pipeline per row, history rows with
source ``import``, ``_import_rows`` for undo, progress per batch). The baseline writes
the same values with one ``INSERT`` of ``--batch`` rows per transaction into a plain
table of the same columns in the same database. The ratio is import / baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from bench_api import (
    ADMIN,
    RESULTS,
    TENANT,
    make_config,
    open_tenant,
    run_header,
    say,
    workspace,
    write_section,
)

ENTITY = """\
label: Item
title: name
fields:
  name: {type: string, required: true, max_length: 80}
  amount: {type: integer, min: 0}
  price: {type: decimal, scale: 2}
  double: {type: integer, formula: "amount * 2"}
  total: {type: decimal, formula: "price * amount"}
  stage: {type: enum, options: [open, won, lost]}
validations:
  - {when: "amount > 1000000", field: amount, message: "Too big."}
  - {when: 'name == "forbidden"', message: "Not allowed."}
"""


def _write_csv(path: Path, rows: int) -> None:
    stages = ("open", "won", "lost")
    with path.open("w", encoding="utf-8") as out:
        out.write("name,amount,price,stage\n")
        for i in range(rows):
            out.write(f"item {i},{i % 1000},{i % 97}.50,{stages[i % 3]}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the figures and records them unless ``--no-results``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file")
    parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--results", default=str(RESULTS), help="the results file")
    parser.add_argument("--no-results", action="store_true", help="do not record")
    args = parser.parse_args(argv)
    from trellis.platform.imports.runner import ImportOptions
    from trellis.platform.imports.session import ImportPlan, new_import, run_import
    from trellis.platform.runtime import Runtime
    from trellis.platform.services.bundle import Services

    with workspace(args.database_url, keep=False) as (data_dir, prefix):
        package = data_dir / "pkg"
        (package / "entities").mkdir(parents=True)
        (package / "app.yaml").write_text("name: imp\nversion: 1.0.0\nlabel: Imp\n", "utf-8")
        (package / "entities" / "item.yaml").write_text(ENTITY, encoding="utf-8")
        runtime = Runtime(make_config(data_dir, args.database_url, prefix))
        try:
            open_tenant(runtime, package)
            source = data_dir / "items.csv"
            _write_csv(source, args.rows)
            reg = runtime.registry
            identity = reg.member_identity(TENANT, reg.user_id(ADMIN) or 0)
            call = Services(runtime).call_as(TENANT, identity)  # type: ignore[arg-type]
            entity = call.app.entities["item"]
            plain = _plain_table(runtime)
            rows = [
                {"name": f"item {i}", "amount": i % 1000, "price": f"{i % 97}.50",
                 "stage": ("open", "won", "lost")[i % 3]}
                for i in range(args.rows)
            ]  # fmt: skip
            started = time.perf_counter()
            with runtime.engines.tenant_connection(TENANT, write=True) as conn:
                for at in range(0, len(rows), args.batch):
                    with conn.begin():
                        conn.execute(plain.insert(), rows[at : at + args.batch])
            baseline = time.perf_counter() - started
            plan = ImportPlan(ImportOptions(batch_size=args.batch))
            import_id = new_import(runtime, call, entity, "items.csv", plan)
            started = time.perf_counter()
            progress, _ = run_import(runtime, call, entity, source, plan, import_id=import_id)
            took = time.perf_counter() - started
        finally:
            runtime.close()
    if progress.created != args.rows:
        say(f"wrong result: {progress.counts()}")
        return 1
    backend = "PostgreSQL" if args.database_url else "SQLite"
    command = "python bench/bench_import.py " + " ".join(sys.argv[1:])
    lines = run_header(backend, command.strip())
    lines += [
        "| path | rows | seconds | rows/s |",
        "|---|---:|---:|---:|",
        f"| plain batched INSERT | {args.rows} | {baseline:.2f} | {args.rows / baseline:.0f} |",
        f"| import (full pipeline) | {args.rows} | {took:.2f} | {args.rows / took:.0f} |",
        "",
        f"**Import / plain INSERT: {took / baseline:.1f}x.**",
    ]
    body = "\n".join(lines)
    say(body)
    if not args.no_results:
        write_section(Path(args.results), f"File import ({backend})", body)
    return 0


def _plain_table(runtime: object) -> sa.Table:
    meta = sa.MetaData()
    table = sa.Table(
        "bench_plain",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80)),
        sa.Column("amount", sa.BigInteger),
        sa.Column("price", sa.Numeric(18, 2)),
        sa.Column("stage", sa.String(40)),
    )
    with runtime.engines.tenant_connection(TENANT, write=True) as conn:  # type: ignore[attr-defined]
        meta.create_all(conn)
        conn.commit()
    return table


if __name__ == "__main__":
    sys.exit(main())
