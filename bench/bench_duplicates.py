"""Duplicate scan of 100,000 people against a plain streamed read of the same rows, one run.

    python bench/bench_duplicates.py [--rows 100000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--results bench/RESULTS.md | --no-results]

A tenant ``bench`` gets ``--rows`` people (bulk INSERT, set-up only) with three
duplicate rules (docs/duplicates.md): exact e-mail, exact phone (digits only) and fuzzy
names blocked by the first four letters of the last name and the first letter of the
first name. About 5% of the rows are planted look-alikes of another row (a typo in the
name, the e-mail in capitals, the phone written differently). Then, in the same run:
the baseline streams every live row's rule columns ordered by id (what any scan must at
least read), and ``scan`` runs every rule (what ``trellis dedup scan`` runs). The budget
is ≤60 s for 100,000 rows (issue 17); the ratio is against the baseline. The planted
pairs found are counted, so a fast scan that finds nothing would show.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

BUDGET_S = 60.0
ENTITY = """\
label: Person
title: last_name
fields:
  first_name: {type: string}
  last_name: {type: string, required: true}
  email: {type: email}
  phone: {type: phone}
duplicates:
  - {name: same_email, match: exact, fields: [email], action: block}
  - {name: same_phone, match: exact, fields: [phone]}
  - name: similar_name
    match: fuzzy
    fields: [first_name, last_name]
    threshold: 0.88
    blocking: [{field: last_name, prefix: 4}, {field: first_name, prefix: 1}]
"""
_SYLLABLES = ("ba", "co", "de", "fi", "ga", "lo", "ma", "ni", "pe", "ru", "sa", "to", "vi", "za")


def _package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: dup\nversion: 1.0.0\nlabel: Dup\n", "utf-8")
    (root / "entities" / "person.yaml").write_text(ENTITY, encoding="utf-8")
    return root


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def _typo(rng: random.Random, text: str) -> str:
    at = rng.randrange(1, len(text))
    return text[:at] + rng.choice("aeiou") + text[at + 1 :]


def _people(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    made: list[dict[str, Any]] = []
    for i in range(count):
        if made and rng.random() < 0.05:
            base = rng.choice(made[-5000:])
            person = dict(base)
            kind = rng.randrange(3)
            if kind == 0:
                person["first_name"] = _typo(rng, base["first_name"])
                person["email"] = person["phone"] = None
            elif kind == 1:
                person["email"] = base["email"].upper()
                person["phone"] = None
            else:
                digits = base["phone"].replace(" ", "")
                person["phone"] = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
                person["email"] = None
        else:
            person = {
                "first_name": _name(rng, 3),
                "last_name": _name(rng, 3),
                "email": f"p{i}@example.com",
                "phone": f"+34 {rng.randrange(600_000_000, 699_999_999)}",
            }
            made.append(person)
        yield {
            **person,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "created_by": 1,
            "owner_id": 1,
        }


def run(rows: int, database_url: str | None) -> dict[str, Any]:
    """Load the rows, then time the baseline read and the scan; the figures."""
    import sqlalchemy as sa

    from trellis.platform.duplicates.scan import ScanStats, scan
    from trellis.platform.runtime import Runtime

    with workspace(database_url, keep=False) as (data_dir, prefix):
        runtime = Runtime(make_config(data_dir, database_url, prefix))
        try:
            open_tenant(runtime, _package(data_dir / "pkg"))
            entity = runtime.app(TENANT).entities["person"]
            table = entity.table
            batch: list[dict[str, Any]] = []
            with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
                for row in _people(rows):
                    batch.append(row)
                    if len(batch) == 5000:
                        conn.execute(sa.insert(table), batch)
                        batch = []
                if batch:
                    conn.execute(sa.insert(table), batch)
            columns = [table.c.id, table.c.first_name, table.c.last_name, table.c.email]
            with runtime.engines.tenant_connection(TENANT) as conn:
                start = time.perf_counter()
                query = (
                    sa.select(*columns, table.c.phone)
                    .where(table.c.deleted_at.is_(None))
                    .order_by(table.c.id)
                    .execution_options(stream_results=True, yield_per=1000)
                )
                read = sum(1 for _ in conn.execute(query))
                baseline = time.perf_counter() - start
                stats = ScanStats()
                start = time.perf_counter()
                groups = list(scan(conn, entity, stats))
                elapsed = time.perf_counter() - start
        finally:
            runtime.close()
    by_rule: dict[str, int] = {}
    for group in groups:
        by_rule[group.rule] = by_rule.get(group.rule, 0) + 1
    return {
        "backend": "PostgreSQL" if database_url else "SQLite",
        "rows": read,
        "baseline": baseline,
        "scan": elapsed,
        "groups": by_rule,
        "comparisons": stats.comparisons,
        "blocks": stats.blocks,
        "skipped": len(stats.skipped_blocks),
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def render(r: dict[str, Any], command: str) -> str:
    """The results section."""
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines = run_header(r["backend"], command, f" Load average at the end: {load} (shared machine).")
    pairs = r["rows"] * (r["rows"] - 1) // 2
    lines += [
        "| step | seconds | ratio to baseline |",
        "|---|---:|---:|",
        f"| baseline: stream {r['rows']} rows' rule columns | {r['baseline']:.2f} | 1.0 |",
        f"| scan: 3 rules (2 exact, 1 fuzzy) | {r['scan']:.2f} | {r['scan'] / r['baseline']:.1f} |",
        "",
        f"Groups found: {', '.join(f'{k} {v}' for k, v in sorted(r['groups'].items()))}. "
        f"Fuzzy comparisons: {r['comparisons']:,} (all pairs would be {pairs:,}); "
        f"blocks read: {r['blocks']:,}; blocks skipped as too large: {r['skipped']}. "
        f"Peak RSS of the process (loading included): {r['rss_mib']:.0f} MiB.",
        "",
    ]
    met = "met" if r["scan"] <= BUDGET_S else "NOT met"
    lines.append(f"Budget (scan of {r['rows']} rows ≤ {BUDGET_S:.0f} s): **{met}**.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print (and record) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args.rows, args.database_url)
    command = "python bench/bench_duplicates.py " + " ".join(argv or sys.argv[1:])
    text = render(figures, command.strip())
    say(text)
    if not args.no_results:
        title = f"Duplicate scan of {args.rows} people ({figures['backend']})"
        write_section(args.results, title, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
