"""Global search: the search service against a raw FTS query over the same records, one run.

    python bench/bench_search.py [--rows 200000] [--rounds 30]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--results bench/RESULTS.md | --no-results]

A tenant ``bench`` with one entity (``person``: name, city and a note searched) gets
``--rows`` records bulk-inserted, then ``trellis search reindex`` fills the index (timed).
Each round runs every query of ``QUERIES`` twice, alternating which goes first: the
search service the API handler runs (``ReadsService.search``: words folded, scope, the
UNION over readable entities, titles and highlighted snippets of the best 20) and the
raw FTS statement alone (SQLite: ``MATCH`` ordered by ``bm25`` limit 20; PostgreSQL:
``@@ to_tsquery`` ordered by ``ts_rank`` limit 20) on a fresh tenant connection. The
budget (issue 17) is a search p50 ≤ 2x the raw query's. Both answers are checked to
name the same records.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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

BUDGET = 2.0
ENTITY = """\
label: Person
title: name
search: [name, city, note]
fields:
  name: {type: string, required: true}
  city: {type: string}
  note: {type: text}
"""
FIRST = (
    "José",
    "María",
    "Ángel",
    "Lucía",
    "Andrés",
    "Inés",
    "Jesús",
    "Sofía",
    "Raúl",
    "Begoña",
    "Iñaki",
    "Nuria",
    "Óscar",
    "Verónica",
    "Tomás",
    "Elena",
    "Pablo",
    "Irene",
)
LAST = (
    "García",
    "Martínez",
    "López",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Fernández",
    "Díaz",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Moreno",
    "Castaño",
    "Ibáñez",
    "Núñez",
    "Peña",
    "Quiñones",
)
CITIES = (
    "Málaga",
    "Cádiz",
    "Córdoba",
    "León",
    "Ávila",
    "Jaén",
    "Logroño",
    "Sevilla",
    "Bilbao",
    "Gijón",
    "Almería",
    "Cáceres",
    "Segovia",
    "Toledo",
    "Teruel",
)
WORDS = (
    "llamada",
    "reunión",
    "presupuesto",
    "contrato",
    "visita",
    "factura",
    "pedido",
    "envío",
    "garantía",
    "renovación",
    "descuento",
    "catálogo",
    "muestra",
    "queja",
)
QUERIES = ("jose garcia", "maria", "lopez malaga", "ines", "munoz cad", "castano",
           "presupuesto leon", "renov", "quinones", "ibanez avila", "iñaki peña",
           "factura toledo", "zzzz", "verónica núñez garantía")  # fmt: skip


def _package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: srch\nversion: 1.0.0\nlabel: Search\n", "utf-8")
    (root / "entities" / "person.yaml").write_text(ENTITY, encoding="utf-8")
    return root


def _rows(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=30)
    for i in range(count):
        at = start + timedelta(seconds=i)
        note = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 12)))
        yield {
            "created_at": at, "created_by": 1, "updated_at": at, "updated_by": 1,
            "owner_id": 1, "version": 1, "deleted_at": None,
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}",
            "city": rng.choice(CITIES), "note": f"{note} (ref {i})",
        }  # fmt: skip


def _once(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def _raw(runtime: Any, entity: Any) -> Callable[[list[str]], list[int]]:
    """The raw FTS statement over the same index, as a function of the folded words."""
    import sqlalchemy as sa

    from trellis.platform.search.fields import indexed_fields
    from trellis.platform.search.tables import index_table, to_query

    def run(words: list[str]) -> list[int]:
        with runtime.engines.tenant_connection(TENANT) as conn:
            table = index_table(conn.dialect.name, "person", indexed_fields(entity))
            if conn.dialect.name == "postgresql":
                q = to_query(" & ".join(f"{w}:*" for w in words))
                query = (
                    sa.select(table.c.record_id)
                    .where(table.c.doc.op("@@")(q))
                    .order_by(sa.func.ts_rank(table.c.doc, q).desc(), table.c.record_id.desc())
                    .limit(20)
                )
            else:
                text = " AND ".join(f'"{w}"*' for w in words)
                query = (
                    sa.select(table.c.rowid)
                    .where(table.c[table.name].op("MATCH")(text))
                    .order_by(
                        sa.func.bm25(sa.literal_column(f'"{table.name}"')), table.c.rowid.desc()
                    )
                    .limit(20)
                )
            return [int(v) for v in conn.execute(query).scalars()]

    return run


def run(rows: int, rounds: int, database_url: str | None) -> tuple[dict[str, Any], str]:
    """Load, reindex, then time both calls per query; figures and the backend's name."""
    from trellis.platform.api.gate import ApiGate
    from trellis.platform.runtime import Runtime
    from trellis.platform.search.reindex import reindex
    from trellis.platform.search.text import query_words

    figures: dict[str, Any] = {"search": [], "raw": []}
    with workspace(database_url, keep=False) as (data_dir, prefix):
        runtime = Runtime(make_config(data_dir, database_url, prefix))
        try:
            token = open_tenant(runtime, _package(data_dir / "pkg"))
            table = runtime.app(TENANT).table("person")
            with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
                batch: list[dict[str, Any]] = []
                for row in _rows(rows):
                    batch.append(row)
                    if len(batch) == 10_000:
                        conn.execute(table.insert(), batch)
                        batch = []
                if batch:
                    conn.execute(table.insert(), batch)
            start = time.perf_counter()
            done = reindex(runtime, TENANT)
            figures["reindex_s"] = time.perf_counter() - start
            figures["indexed"] = done.rebuilt["person"]
            analyze(runtime)
            api = ApiGate(runtime)
            call = api.call(TENANT, f"Bearer {token}")
            reads = api.services.reads
            raw = _raw(runtime, call.app.entities["person"])
            for q in QUERIES:  # warm up, and check both name the same records
                hits = {h.id for h in reads.search(call, q, "20")}
                if hits != set(raw(query_words(q))):
                    raise SystemExit(f"search and the raw query disagree on {q!r}")
            for r in range(rounds):
                for q in QUERIES:
                    words = query_words(q)
                    pair: list[tuple[str, Callable[[], object]]] = [
                        ("search", lambda q=q: reads.search(call, q, "20")),
                        ("raw", lambda words=words: raw(words)),
                    ]
                    for name, fn in pair if r % 2 == 0 else reversed(pair):
                        figures[name].append(_once(fn)[0])
        finally:
            runtime.close()
    return figures, "PostgreSQL" if database_url else "SQLite"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def render(figures: dict[str, Any], rows: int, rounds: int, backend: str, command: str) -> str:
    """The results section: p50 and p95 of both, the ratio and the budget."""
    raw = statistics.median(figures["raw"])
    search = statistics.median(figures["search"])
    note = (
        f" {rows:,} records, {len(QUERIES)} queries x {rounds} rounds, limit 20;"
        f" reindex of {figures['indexed']:,} records took {figures['reindex_s']:.1f} s"
        f" ({figures['indexed'] / figures['reindex_s']:,.0f} records/s)."
        f" Load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}."
    )
    lines = run_header(backend, command, note)
    lines += ["| call | p50 ms | p95 ms | ratio to raw FTS (p50) |", "|---|---:|---:|---:|"]
    for name, label in (("raw", "raw FTS query"), ("search", "search service (`_search`)")):
        median, p95 = statistics.median(figures[name]), _p95(figures[name])
        lines.append(f"| {label} | {median:.2f} | {p95:.2f} | {median / raw:.2f}x |")
    met = "met" if search <= BUDGET * raw else "NOT met"
    lines += ["", f"Budget (search p50 ≤ {BUDGET:.0f}x the raw FTS query): **{met}** "
              f"({search / raw:.2f}x)."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print (and record) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    figures, backend = run(args.rows, args.rounds, args.database_url)
    command = "python bench/bench_search.py " + " ".join(argv or sys.argv[1:])
    text = render(figures, args.rows, args.rounds, backend, command.strip())
    say(text)
    if not args.no_results:
        write_section(args.results, f"Global search vs raw FTS ({backend})", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
