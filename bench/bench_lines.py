"""Saving a parent with 20 lines in one request against 20 single creates, in one run.

    python bench/bench_lines.py [--rounds 8] [--parents 10] [--lines 20] [--pg URL]

One runtime, one tenant with the package ``tests/e2e/invoice_pkg`` (an invoice whose
``items`` are ``invoice_line`` records with a formula, a validation, and two rollups on
the invoice). The JSON API answers both, through Litestar's test client in this process:

* ``lines``: ``POST /t/{t}/api/invoice`` with ``"items": [20 lines]`` (one transaction:
  the invoice, 20 line saves, the rollups once, the invoice's validations);
* ``single``: one ``POST /t/{t}/api/invoice`` with one line, then 19
  ``POST /t/{t}/api/invoice_line`` for the same invoice (20 transactions; each line's
  save recomputes the invoice's rollups).

The two take turns in each round; each builds ``--parents`` invoices of ``--lines``
lines. Figures: wall and CPU time (``time.process_time``, every thread) per invoice,
median over the rounds, and the ratio lines/single of the medians.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_schemas import drop_schemas

PACKAGE = Path(__file__).resolve().parents[1] / "tests" / "e2e" / "invoice_pkg"
TENANT = "lines-bench"


def out(text: str) -> None:
    """Print one line of the report."""
    sys.stdout.write(text + "\n")


def _line(i: int) -> dict[str, Any]:
    return {"description": f"Item {i}", "quantity": 1 + i % 5, "unit_price": "12.50"}


def main() -> None:
    """Run the comparison and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="rounds of both variants")
    parser.add_argument("--parents", type=int, default=10, help="invoices per variant and round")
    parser.add_argument("--lines", type=int, default=20, help="lines per invoice")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()

    from litestar.testing import TestClient

    from trellis.platform.api.app import create_app
    from trellis.platform.config import RuntimeConfig
    from trellis.platform.publish import publish
    from trellis.platform.runtime import Runtime

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="lines-bench-") as tmp:
        prefix = f"b{uuid.uuid4().hex[:8]}_"
        config = RuntimeConfig(
            data_dir=Path(tmp),
            database_url=args.pg,
            schema_prefix=prefix if args.pg else "",
            version_check_interval=0.0,
        )
        runtime = Runtime(config)
        reg = runtime.registry
        reg.create_tenant(TENANT)
        publish(runtime, TENANT, PACKAGE)
        email = "admin@lines.test"
        reg.add_membership(TENANT, reg.ensure_user(email, "long enough secret"), ["admin"])
        token = reg.create_token(TENANT, email)
        headers = {"Authorization": f"Bearer {token}"}
        base = f"/t/{TENANT}/api"
        with TestClient(app=create_app(runtime)) as client:

            def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
                answer = client.post(f"{base}/{path}", json=body, headers=headers)
                if answer.status_code != 201:
                    raise SystemExit(f"{path}: {answer.status_code} {answer.text}")
                return dict(answer.json())

            def with_lines(n: int) -> None:
                post(
                    "invoice", {"number": f"L-{n}", "items": [_line(i) for i in range(args.lines)]}
                )

            def single(n: int) -> None:
                made = post("invoice", {"number": f"S-{n}", "items": [_line(0)]})
                for i in range(1, args.lines):
                    post("invoice_line", {**_line(i), "invoice": made["id"]})

            variants = {"lines": with_lines, "single": single}
            figures: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in variants}
            for run in variants.values():  # warm up
                run(-1)
            for round_no in range(args.rounds):
                order = list(variants) if round_no % 2 == 0 else list(reversed(variants))
                for name in order:
                    wall, cpu = time.perf_counter(), time.process_time()
                    for n in range(args.parents):
                        variants[name](round_no * 1000 + n)
                    figures[name][0].append((time.perf_counter() - wall) * 1000 / args.parents)
                    figures[name][1].append((time.process_time() - cpu) * 1000 / args.parents)
        runtime.close()
        if args.pg:
            drop_schemas(args.pg, prefix)
    backend = "PostgreSQL" if args.pg else "SQLite"
    out(f"{backend}, {args.rounds} rounds x {args.parents} invoices of {args.lines} lines")
    out("")
    out("| per invoice | wall median ms | CPU median ms |")
    out("|---|---:|---:|")
    medians = {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in figures.items()}
    for name, (wall, cpu) in medians.items():
        out(f"| {name} | {wall:.1f} | {cpu:.1f} |")
    ratio_wall = medians["lines"][0] / medians["single"][0]
    ratio_cpu = medians["lines"][1] / medians["single"][1]
    out("")
    out(f"lines / single: {ratio_wall:.2f}x wall, {ratio_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
