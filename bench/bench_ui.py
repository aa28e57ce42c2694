"""Server-side render time of the list screen (50 rows) against the JSON list of the same rows.

Run: ``python bench/bench_ui.py [--rows 5000] [--rounds 5] [--requests 40]``.

Both requests go through the same Litestar app in this process (Litestar's TestClient, so
no network): ``GET /t/demo/api/opportunity?limit=50&sort=-amount`` (baseline) and
``GET /t/demo/e/opportunity?sort=-amount`` (the screen: same query plus account titles,
layout, template). Rounds alternate A/B; the figure is the median per request and the
ratio screen/API, plus the screen's absolute median against the 50 ms budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

import trellis.seed.crm
from trellis.platform.api.gate import ApiGate
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

PASSWORD = "correct horse battery"


def out(text: str, end: str = "\n") -> None:
    """Write a line of the report."""
    sys.stdout.write(text + end)


def _load(runtime: Runtime, rows: int) -> str:
    runtime.registry.create_tenant("demo")
    publish(runtime, "demo", Path(trellis.seed.crm.__file__).parent)
    user = runtime.registry.ensure_user("admin@demo.test", PASSWORD)
    runtime.registry.add_membership("demo", user, ["admin"])
    api = ApiGate(runtime)
    identity = runtime.registry.member_identity("demo", user)
    if identity is None:
        raise RuntimeError("admin missing")
    call = api.call_as("demo", identity)
    accounts = []
    for i in range(20):
        data = {"name": f"Account {i}"}
        accounts.append(
            api.services.records.create(call, call.app.entities["account"], data).record["id"]
        )
    items = [
        {
            "name": f"Deal {i}",
            "account": accounts[i % 20],
            "amount": str(100 + i),
            "stage": "prospecting",
        }
        for i in range(rows)
    ]
    for start in range(0, rows, 500):
        api.services.records.bulk(
            call, call.app.entities["opportunity"], items[start : start + 500]
        )
    return runtime.registry.create_token("demo", "admin@demo.test")


def _time(client: TestClient[Any], url: str, n: int, headers: dict[str, str]) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        out.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return out


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        token = _load(runtime, args.rows)
        with TestClient(app=create_web_app(runtime)) as client:
            form = client.get("/t/demo/login")
            csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
            client.post(
                "/t/demo/login",
                data={"email": "admin@demo.test", "password": PASSWORD, "_csrf_token": csrf},
            )
            auth = {"Authorization": f"Bearer {token}"}
            api_url = "/t/demo/api/opportunity?limit=50&sort=-amount"
            ui_url = "/t/demo/e/opportunity?sort=-amount"
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
    for name, values in (("JSON list, 50 rows", api_ms), ("list screen, 50 rows", ui_ms)):
        p95 = statistics.quantiles(values, n=20)[18]
        out(f"| {name} | {statistics.median(values):.2f} | {p95:.2f} |")
    out(f"screen / API p50 ratio: {ui_p50 / api_p50:.2f}x; budget 50 ms: ", end="")
    out("PASS" if ui_p50 <= 50 else "FAIL")


if __name__ == "__main__":
    main()
