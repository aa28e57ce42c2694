"""Server-side time of the dashboards designer's pages against the admin jobs page.

Run: ``python bench/bench_dashboard_designer.py [--rounds 5] [--requests 10]``.

Loads the CRM seed (``bench_ui``'s loader, a few rows) and saves the sales dashboard in
the draft. Every request goes through the same Litestar app in this process (TestClient,
no network): the dashboards list, a dashboard's tiles, the tile editor of a KPI, of the
retention ratio (``having``) and of the forecast line (``compare``), a new tile, and the
tile preview the editor loads after the page (``POST …/preview``), against
``GET /t/demo/admin/jobs`` (baseline). Rounds alternate the order; the figure is the
median per request, its ratio to the baseline and each page's median against the
issue's 100 ms for designer pages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ui import PASSWORD, _load, _time, out
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.drafts import read_file, save_file
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

BASE = "/t/demo/admin/dashboards"
PAGES = {
    "jobs page (baseline)": "/t/demo/admin/jobs",
    "dashboards list": BASE,
    "dashboard tiles": f"{BASE}/sales",
    "tile editor (kpi)": f"{BASE}/sales/tiles/1",
    "tile editor (ratio, having)": f"{BASE}/sales/tiles/10",
    "tile editor (line, compare)": f"{BASE}/forecast/tiles/4",
    "new tile": f"{BASE}/sales/tiles/new",
}
#: The form the preview posts for the first sales tile.
PREVIEW = {
    "tile": "1",
    "kind": "kpi",
    "label_en": "Open pipeline",
    "entity": "opportunity",
    "agg": "sum",
    "field": "amount",
    "where": "not stage.won and not stage.lost",
}


def _post(client: TestClient[Any], url: str, data: dict[str, str], n: int) -> list[float]:
    token = client.cookies.get("csrftoken") or ""
    found = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.post(url, data=data, headers={"x-csrftoken": token})
        found.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200 or 'id="preview-value"' not in response.text:
            raise RuntimeError(f"{url} answered {response.status_code} without a figure")
    return found


def _round(client: TestClient[Any], times: dict[str, list[float]], n: int, flip: bool) -> None:
    order = list(PAGES.items())
    for name, url in reversed(order) if flip else order:
        times[name].extend(_time(client, url, n, {}))
    preview = _post(client, f"{BASE}/sales/preview", PREVIEW, n)
    times["tile preview (after the page)"].extend(preview)


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--requests", type=int, default=10, help="requests per round")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    times["tile preview (after the page)"] = []
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        _load(runtime, 60)
        text, revision = read_file(runtime, "demo", "dashboards/sales.yaml")
        save_file(runtime, "demo", "dashboards/sales.yaml", text + "\n", revision, "bench")
        with TestClient(app=create_web_app(runtime)) as client:
            form = client.get("/t/demo/login")
            csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
            client.post(
                "/t/demo/login",
                data={"email": "admin@demo.test", "password": PASSWORD, "_csrf_token": csrf},
            )
            _round(client, {k: [] for k in times}, 2, False)
            for r in range(args.rounds):
                _round(client, times, args.requests, r % 2 == 1)
        runtime.close()
    base = statistics.median(times["jobs page (baseline)"])
    out(f"rounds={args.rounds} requests/round={args.requests}")
    out("| request | p50 ms | p95 ms | / baseline | ≤100 ms |")
    out("|---|---:|---:|---:|---|")
    for name, values in times.items():
        p50, p95 = statistics.median(values), statistics.quantiles(values, n=20)[18]
        verdict = "PASS" if p50 <= 100 else "FAIL"
        out(f"| {name} | {p50:.2f} | {p95:.2f} | {p50 / base:.2f}x | {verdict} |")


if __name__ == "__main__":
    sys.exit(main())
