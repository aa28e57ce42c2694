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
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

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


def _timed(run: Callable[[], Any], n: int, into: dict[str, list[float]]) -> None:
    """Wall and process CPU time (every thread: the API answers in a worker) per call."""
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        into["cpu"].append((time.process_time() - cpu) * 1000)
        into["wall"].append((time.perf_counter() - wall) * 1000)


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
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/t/{TENANT}/api/offer/{offer_id}/_documents/offer.pdf"
        with TestClient(app=app) as client:
            size = len(services.documents.pdf(call, target, offer_id, "offer").content)  # warm-up
            runs = {k: {"wall": [], "cpu": []} for k in ("HTML", "PDF", "API")}

            def get() -> None:
                response = client.get(url, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(response.text)

            n, docs = args.requests, services.documents
            for _ in range(args.rounds):
                _timed(lambda: docs.html(call, target, offer_id, "offer"), n, runs["HTML"])
                _timed(lambda: docs.pdf(call, target, offer_id, "offer"), n, runs["PDF"])
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
        "API": "API GET …/_documents/offer.pdf (in process)",
    }
    for key, label in names.items():
        out(f"| {label} | {p50[key]:.2f} | {p95[key]:.2f} | {cpu[key]:.2f} |")
    ratio = f"wall p50 {p50['PDF'] / p50['HTML']:.1f}x, CPU p50 {cpu['PDF'] / cpu['HTML']:.1f}x"
    out(f"\nRatio PDF / HTML: {ratio}.")
    for what, value in (("wall p50", p50["API"]), ("CPU p50", cpu["API"])):
        verdict = "PASS" if value <= BUDGET_MS else "FAIL"
        out(
            f"Budget <= {BUDGET_MS:.0f} ms for a 20-line PDF, API {what} {value:.1f} ms: {verdict}."
        )


if __name__ == "__main__":
    main()
