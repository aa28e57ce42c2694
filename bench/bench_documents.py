"""Time to print a record with 20 related lines as PDF, against the same HTML without PDF.

Run: ``python bench/bench_documents.py [--rounds 5] [--requests 10]``.

One tenant (SQLite, embedded default) with an ``offer`` entity, 20 ``offer_line`` children
and a styled A4 template (``@page`` margins and counters, a table of the lines). Three
measurements in this process, rounds alternating:

- HTML: ``DocumentsService.html`` - the reads (record, reference titles, the related
  list, all with the caller's access) and the sandboxed template; the baseline;
- PDF: ``DocumentsService.pdf`` - the same plus WeasyPrint;
- API: ``GET /t/bench/api/offer/{id}/_documents/offer.pdf`` through Litestar's
  TestClient (no network) - what a client waits for, against the 300 ms budget.

The first document of the process is left out (WeasyPrint's import, about a second).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pdf_rounds import pdf_rounds, report

from trellis.platform.api.app import create_app
from trellis.platform.api.deps import API_STATE
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

TENANT = "bench"
BUDGET_MS = 300.0
ENTITIES = {
    "client": "label: Client\ntitle: name\nfields:\n  name: {type: string, required: true}\n",
    "offer": (
        "label: Offer\ntitle: number\nfields:\n"
        "  number: {type: string, required: true}\n"
        "  client: {type: reference, to: client}\n"
        "  valid_until: {type: date}\n"
        "  total: {type: money, rollup: {from: offer_line.offer, agg: sum, field: amount}}\n"
    ),
    "offer_line": (
        "label: Offer line\ntitle: item\nfields:\n"
        "  offer: {type: reference, to: offer, required: true}\n"
        "  item: {type: string, required: true}\n"
        "  qty: {type: integer}\n"
        "  price: {type: money}\n"
        "  amount: {type: money, formula: 'qty * price'}\n"
    ),
}
TEMPLATE = """\
<html><head><style>
@page { size: A4; margin: 2cm;
  @bottom-right { content: "Page " counter(page) " / " counter(pages) } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222 }
h1 { font-size: 18pt; margin-bottom: 0 } .muted { color: #777 }
table { width: 100%; border-collapse: collapse; margin-top: 1em }
th { text-align: left; border-bottom: 2px solid #333 }
td { border-bottom: 1px solid #ccc; padding: 3pt }
td.n { text-align: right }
</style></head><body>
<h1>{{ document.label }} {{ record.number }}</h1>
<p class="muted">{{ record.client.title }} - valid until {{ record.valid_until }}</p>
<table><thead><tr><th>#</th><th>Item</th><th>Qty</th><th>Price</th><th>Amount</th></tr></thead>
<tbody>{% for line in related.offer_line %}
<tr><td>{{ loop.index }}</td><td>{{ line.item }}</td><td class="n">{{ line.qty }}</td>
<td class="n">{{ line.price }}</td><td class="n">{{ line.amount }}</td></tr>{% endfor %}
</tbody></table>
<p><strong>Total: {{ record.total }}</strong></p>
</body></html>
"""


def out(text: str) -> None:
    """Write a line of the report."""
    sys.stdout.write(text + "\n")


def _package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "documents").mkdir()
    (root / "app.yaml").write_text("name: bench\nversion: 1.0.0\nlabel: Bench\n")
    for name, text in ENTITIES.items():
        (root / "entities" / f"{name}.yaml").write_text(text)
    (root / "documents" / "offer.yaml").write_text("entity: offer\nlabel: Offer\n")
    (root / "documents" / "offer.html.j2").write_text(TEMPLATE)
    return root


def main() -> None:
    """Load the tenant, time HTML, PDF and API rounds, print a Markdown report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Runtime(RuntimeConfig(data_dir=Path(tmp) / "data", version_check_interval=0.0))
        runtime.registry.create_tenant(TENANT)
        publish(runtime, TENANT, _package(Path(tmp) / "pkg"))
        user = runtime.registry.ensure_user("admin@bench.test", "long enough secret")
        runtime.registry.add_membership(TENANT, user, ["admin"])
        token = runtime.registry.create_token(TENANT, "admin@bench.test")
        app = create_app(runtime)
        services: Services = app.state[API_STATE].services
        identity = runtime.registry.member_identity(TENANT, user)
        if identity is None:
            raise RuntimeError("admin missing")
        call = services.call_as(TENANT, identity)
        entities = call.app.entities
        records = services.records
        client_id = records.create(call, entities["client"], {"name": "Acme Iberia"}).record["id"]
        offer = {"number": "Q-2026-0042", "client": client_id, "valid_until": "2026-12-31"}
        offer_id = records.create(call, entities["offer"], offer).record["id"]
        for n in range(1, 21):
            line = {"offer": offer_id, "item": f"Widget {n:02d}", "qty": n, "price": "12.50"}
            records.create(call, entities["offer_line"], line)
        target = entities["offer"]
        size, runs = pdf_rounds(
            app, services.documents, call, target, offer_id, "offer", token, args
        )
        runtime.close()
    report(
        out,
        size,
        runs,
        args,
        api_path="…/_documents/offer.pdf",
        subject="a 20-line PDF",
        budget_ms=BUDGET_MS,
    )


if __name__ == "__main__":
    main()
