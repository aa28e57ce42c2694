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
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pdf_rounds import pdf_rounds, report

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
        size, runs = pdf_rounds(
            app, services.documents, call, target, quote_id, "quote", token, args
        )
        runtime.close()
    report(
        out,
        size,
        runs,
        args,
        api_path="…/quote/{id}/_documents/quote.pdf",
        subject="a 20-line quote PDF",
        budget_ms=BUDGET_MS,
    )


if __name__ == "__main__":
    main()
