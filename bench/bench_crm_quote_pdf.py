"""Time to print a CRM quote with 20 lines as PDF, against the same HTML without PDF.

Run: ``python bench/bench_crm_quote_pdf.py [--rounds 5] [--requests 10]``.

One CRM tenant (SQLite, embedded default; ``seed/crm``) with a quote of 20 lines for an
account and a contact, printed by ``seed/crm/documents/quote.html.j2``. Three
measurements in this process, rounds alternating:

- HTML: ``DocumentsService.html`` - the reads (quote, reference titles, its lines, with
  the caller's access) and the sandboxed template; the baseline;
- PDF: ``DocumentsService.pdf`` - the same plus WeasyPrint;
- API: ``GET /t/bench/api/quote/{id}/_documents/quote.pdf`` through Litestar's
  TestClient (no network) - what a sales rep waits for, against the 300 ms budget.

The first document of the process is left out (WeasyPrint's import, about a second).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.api.app import create_app
from trellis.platform.api.deps import API_STATE
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

TENANT = "bench"
BUDGET_MS = 300.0
ADMIN = "admin@bench.test"


def out(text: str) -> None:
    """Write a line of the report."""
    sys.stdout.write(text + "\n")


def _timed(run: Callable[[], Any], n: int, into: dict[str, list[float]]) -> None:
    """Wall and process CPU time (every thread: the API answers in a worker) per call."""
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        into["cpu"].append((time.process_time() - cpu) * 1000)
        into["wall"].append((time.perf_counter() - wall) * 1000)


def _quote(services: Services, call: Any) -> int:
    """A quote of 20 lines for an account and a contact; its id."""
    entities, records = call.app.entities, services.records
    account = records.create(call, entities["account"], {"name": "Acme Iberia"}).record["id"]
    contact = {"first_name": "Ana", "last_name": "Ruiz", "account": account}
    contact_id = records.create(call, entities["contact"], contact).record["id"]
    lines = [
        {"description": f"Widget {n:02d}", "quantity": n, "unit_price": "12.50"}
        for n in range(1, 21)
    ]
    quote = {
        "name": "ERP roll-out",
        "account": account,
        "contact": contact_id,
        "valid_until": "2026-12-31",
        "discount_percent": "5",
        "terms": "Payment within 30 days.",
        "items": lines,
    }
    return int(records.create(call, entities["quote"], quote).record["id"])


def main() -> None:
    """Load the tenant, time HTML, PDF and API rounds, print a Markdown report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(RuntimeConfig(data_dir=Path(tmp) / "data", version_check_interval=0.0))
        create_tenant(runtime, TENANT, "crm", ADMIN, "long enough secret")
        token = runtime.registry.create_token(TENANT, ADMIN)
        app = create_app(runtime)
        services: Services = app.state[API_STATE].services
        user = runtime.registry.ensure_user(ADMIN, "long enough secret")
        identity = runtime.registry.member_identity(TENANT, user)
        if identity is None:
            raise RuntimeError("admin missing")
        call = services.call_as(TENANT, identity)
        quote_id = _quote(services, call)
        target = call.app.entities["quote"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/t/{TENANT}/api/quote/{quote_id}/_documents/quote.pdf"
        with TestClient(app=app) as client:
            docs = services.documents
            size = len(docs.pdf(call, target, quote_id, "quote").content)  # warm-up
            runs = {k: {"wall": [], "cpu": []} for k in ("HTML", "PDF", "API")}

            def get() -> None:
                response = client.get(url, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(response.text)

            n = args.requests
            for _ in range(args.rounds):
                _timed(lambda: docs.html(call, target, quote_id, "quote"), n, runs["HTML"])
                _timed(lambda: docs.pdf(call, target, quote_id, "quote"), n, runs["PDF"])
                _timed(get, n, runs["API"])
        runtime.close()
    p50 = {k: statistics.median(v["wall"]) for k, v in runs.items()}
    p95 = {k: statistics.quantiles(v["wall"], n=20)[18] for k, v in runs.items()}
    cpu = {k: statistics.median(v["cpu"]) for k, v in runs.items()}
    load = os.getloadavg()[0]
    rounds = f"{args.rounds} rounds x {args.requests} requests each"
    out(f"PDF size: {size:,} bytes; {rounds}; load average {load:.1f} on {os.cpu_count()} CPUs\n")
    out("| measurement | wall p50 ms | wall p95 ms | CPU p50 ms |\n|---|---:|---:|---:|")
    names = {
        "HTML": "HTML only (reads + sandboxed template; baseline)",
        "PDF": "PDF (the same + WeasyPrint)",
        "API": "API GET …/quote/{id}/_documents/quote.pdf (in process)",
    }
    for key, label in names.items():
        out(f"| {label} | {p50[key]:.2f} | {p95[key]:.2f} | {cpu[key]:.2f} |")
    ratio = f"wall p50 {p50['PDF'] / p50['HTML']:.1f}x, CPU p50 {cpu['PDF'] / cpu['HTML']:.1f}x"
    out(f"\nRatio PDF / HTML: {ratio}.")
    for what, value in (("wall p50", p50["API"]), ("CPU p50", cpu["API"])):
        verdict = "PASS" if value <= BUDGET_MS else "FAIL"
        out(
            f"Budget <= {BUDGET_MS:.0f} ms for a 20-line quote PDF, "
            f"API {what} {value:.1f} ms: {verdict}."
        )


if __name__ == "__main__":
    main()
