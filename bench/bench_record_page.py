"""Server-side render time of the record page against the JSON read of the same record.

Run: ``python bench/bench_record_page.py [--rows 2000] [--rounds 5] [--requests 30]``.

Loads the CRM seed (``bench_ui``'s loader: ``rows`` opportunities over 20 accounts), then
gives account 1 twenty contacts, tickets, activities and notes. Both requests go through
the same Litestar app in this process (TestClient, no network), in alternating rounds:
``GET /t/demo/api/account/1`` (baseline) and ``GET /t/demo/e/account/1`` (the page:
header with highlights, owner and badge, two tabs of sections, eight related lists with
counts (contacts, opportunities, tickets, activities, quotes, orders, child accounts,
notes) and the timeline). The figure is the median per request, the ratio page/API, and
the page's absolute median against the 50 ms budget.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench_ui import PASSWORD, _load, _time, out
from litestar.testing import TestClient

from trellis.platform.api.gate import ApiGate
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

RELATED = 20


def _relate(runtime: Runtime, account: int) -> None:
    """Twenty records of each kind pointing at ``account``."""
    api = ApiGate(runtime)
    user = runtime.registry.ensure_user("admin@demo.test", PASSWORD)
    identity = runtime.registry.member_identity("demo", user)
    if identity is None:
        raise RuntimeError("admin missing")
    call = api.call_as("demo", identity)
    kinds: dict[str, Any] = {
        "contact": lambda i: {"first_name": "Ana", "last_name": f"Person {i}", "account": account},
        "ticket": lambda i: {"subject": f"Ticket {i}", "account": account},
        "activity": lambda i: {"subject": f"Call {i}", "kind": "call", "account": account},
        "note": lambda i: {"title": f"Note {i}", "account": account},
    }
    for entity, make in kinds.items():
        for i in range(RELATED):
            data = make(i)
            api.services.records.create(call, call.app.entities[entity], data)


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        token = _load(runtime, args.rows)
        _relate(runtime, 1)
        with TestClient(app=create_web_app(runtime)) as client:
            form = client.get("/t/demo/login")
            csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
            client.post(
                "/t/demo/login",
                data={"email": "admin@demo.test", "password": PASSWORD, "_csrf_token": csrf},
            )
            auth = {"Authorization": f"Bearer {token}"}
            api_url, ui_url = "/t/demo/api/account/1", "/t/demo/e/account/1"
            page = client.get(ui_url).text
            assert 'class="record-header' in page and "timeline" in page
            _time(client, api_url, 5, auth)
            _time(client, ui_url, 5, {})
            api_ms: list[float] = []
            ui_ms: list[float] = []
            for r in range(args.rounds):
                pair = [(api_url, auth, api_ms), (ui_url, {}, ui_ms)]
                for url, headers, sink in pair if r % 2 == 0 else reversed(pair):
                    sink.extend(_time(client, url, args.requests, headers))
        runtime.close()
    api_p50, ui_p50 = statistics.median(api_ms), statistics.median(ui_ms)
    out(f"rows={args.rows} rounds={args.rounds} requests/round={args.requests}")
    out("| request | p50 ms | p95 ms |")
    out("|---|---:|---:|")
    for name, values in (("JSON read of account 1", api_ms), ("record page of account 1", ui_ms)):
        p95 = statistics.quantiles(values, n=20)[18]
        out(f"| {name} | {statistics.median(values):.2f} | {p95:.2f} |")
    out(f"page / API p50 ratio: {ui_p50 / api_p50:.2f}x; budget 50 ms: ", end="")
    out("PASS" if ui_p50 <= 50 else "FAIL")


if __name__ == "__main__":
    main()
