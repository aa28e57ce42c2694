"""Server-side render time of the home page against the list screen, in the same run.

Run: ``python bench/bench_home.py [--rows 3000] [--rounds 5] [--requests 30]``.

Loads the CRM seed with ``rows`` opportunities (``bench_ui``'s loader), ``rows // 3``
activities (half overdue) and ``rows // 6`` tickets, all owned by the signed-in admin,
so every panel of the derived home (activities, pipeline with a count per open stage,
assigned tickets, recent items, notifications) has work. Both requests go through the
same Litestar app in this process (TestClient, no network): ``GET /t/demo/`` and
``GET /t/demo/e/opportunity?sort=-amount`` (baseline). Rounds alternate A/B; the figure
is the median per request, the ratio home/list, and home's median against 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench_ui import PASSWORD, _load, _time, out
from litestar.testing import TestClient

from trellis.platform.api.gate import ApiGate
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app


def _more(runtime: Runtime, rows: int) -> None:
    api = ApiGate(runtime)
    user = runtime.registry.user_id("admin@demo.test")
    identity = runtime.registry.member_identity("demo", user or 0)
    if identity is None:
        raise RuntimeError("admin missing")
    call = api.call_as("demo", identity)
    tasks = [
        {"subject": f"Task {i}", "due_at": f"20{20 + i % 20}-01-02T10:00:00Z"}
        for i in range(rows // 3)
    ]
    tickets = [{"subject": f"Ticket {i}"} for i in range(rows // 6)]
    for entity, items in (("activity", tasks), ("ticket", tickets)):
        for start in range(0, len(items), 500):
            api.services.records.bulk(call, call.app.entities[entity], items[start : start + 500])


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=3000, help="opportunities to load")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--requests", type=int, default=30, help="requests per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        _load(runtime, args.rows)
        _more(runtime, args.rows)
        with TestClient(app=create_web_app(runtime)) as client:
            form = client.get("/t/demo/login")
            csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
            client.post(
                "/t/demo/login",
                data={"email": "admin@demo.test", "password": PASSWORD, "_csrf_token": csrf},
            )
            home_url, list_url = "/t/demo/", "/t/demo/e/opportunity?sort=-amount"
            _time(client, home_url, 5, {})
            _time(client, list_url, 5, {})
            home_ms: list[float] = []
            list_ms: list[float] = []
            for r in range(args.rounds):
                pair = [(home_url, home_ms), (list_url, list_ms)]
                for url, sink in pair if r % 2 == 0 else reversed(pair):
                    sink.extend(_time(client, url, args.requests, {}))
        runtime.close()
    home_p50, list_p50 = statistics.median(home_ms), statistics.median(list_ms)
    out(f"rows={args.rows} rounds={args.rounds} requests/round={args.requests}")
    out("| request | p50 ms | p95 ms |")
    out("|---|---:|---:|")
    for name, values in (("list screen, 50 rows", list_ms), ("home page", home_ms)):
        p95 = statistics.quantiles(values, n=20)[18]
        out(f"| {name} | {statistics.median(values):.2f} | {p95:.2f} |")
    out(f"home / list p50 ratio: {home_p50 / list_p50:.2f}x; budget 50 ms: ", end="")
    out("PASS" if home_p50 <= 50 else "FAIL")


if __name__ == "__main__":
    sys.exit(main())
