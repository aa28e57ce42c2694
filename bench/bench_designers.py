"""Server-side render time of the designer pages against the admin jobs page, same run.

Run: ``python bench/bench_designers.py [--rounds 5] [--requests 20]``.

Loads the CRM seed (``bench_ui``'s loader, a few rows) and saves one entity file in the
draft (so the pages read a changed file as well as the published model). Every request
goes through the same Litestar app in this process (TestClient, no network): the entity
list, an entity page with its form preview, a field editor, the publish page (its plan
loads after the page), the history, the workflow designer (diagram laid out per request)
and the pipeline designer, against ``GET /t/demo/admin/jobs`` (baseline).
Rounds alternate the order; the figure is the median per request, its ratio to the
baseline, and each page's median against the issue's 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from bench_ui import PASSWORD, _load, _time, out
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.drafts import read_file, save_file
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

PAGES = {
    "jobs page (baseline)": "/t/demo/admin/jobs",
    "entity list": "/t/demo/admin/entities",
    "entity page + form preview": "/t/demo/admin/entities/contact",
    "field editor": "/t/demo/admin/entities/contact/fields/email",
    "rules page": "/t/demo/admin/entities/contact/rules",
    "rule editor (checked text)": "/t/demo/admin/entities/contact/rules/validations/new",
    "publish page": "/t/demo/admin/publish",
    "history": "/t/demo/admin/versions",
    "workflow designer (diagram)": "/t/demo/admin/workflows/ticket_flow",
    "pipeline designer": "/t/demo/admin/pipelines",
}


def main() -> None:
    """Measure and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--requests", type=int, default=20, help="requests per round")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        _load(runtime, 60)
        text, revision = read_file(runtime, "demo", "entities/contact.yaml")
        save_file(runtime, "demo", "entities/contact.yaml", text + "\n", revision, "bench")
        with TestClient(app=create_web_app(runtime)) as client:
            form = client.get("/t/demo/login")
            csrf = form.text.split('name="_csrf_token" value="')[1].split('"')[0]
            client.post(
                "/t/demo/login",
                data={"email": "admin@demo.test", "password": PASSWORD, "_csrf_token": csrf},
            )
            for url in PAGES.values():
                _time(client, url, 3, {})
            for r in range(args.rounds):
                order = list(PAGES.items())
                for name, url in order if r % 2 == 0 else reversed(order):
                    times[name].extend(_time(client, url, args.requests, {}))
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
