"""Figures ``as_of`` a past moment vs the present ones, on the CRM demo data.

    python bench/bench_as_of.py [--scale 0.2] [--requests 40] [--as-of 2026-06-01T00:00:00Z]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--results bench/RESULTS.md | --no-results]

Tenant ``demo`` is created from the CRM and filled with ``create_demo`` (anchor
2026-12-01, so records, stage history and change rows lie in the weeks before). Then,
through the JSON API in process (Litestar's test client, an admin's bearer token), each
figure is asked for the present and ``as_of`` a past moment, alternately, ``--requests``
times each after a warm-up: ``GET _stages?pipeline=deal`` (stage report),
``GET _forecast?pipeline=deal`` (weighted forecast) and ``GET _dashboards/sales`` (the
CRM's sales dashboard, every tile). Measured per request: wall time (median, p95) and
process CPU. The ratio is as_of / present, both from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench_api import RESULTS, make_config, run_header, say, workspace, write_section

ANCHOR = date(2026, 12, 1)
ADMIN = "admin@bench.test"
#: (label, API path, query parameters) of each figure.
FIGURES = (
    ("stage report `_stages`", "_stages", {"pipeline": "deal"}),
    ("weighted forecast `_forecast`", "_forecast", {"pipeline": "deal"}),
    ("sales dashboard `_dashboards/sales`", "_dashboards/sales", {}),
)


def _time(
    client: Any, url: str, params: dict[str, str], headers: dict[str, str]
) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, params=params, headers=headers)
    spent = time.perf_counter() - wall, time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"{url} {params}: {response.status_code} {response.text[:300]}")
    return spent[0], spent[1], response.json()


def _measure(
    client: Any, headers: dict[str, str], as_of: str, requests: int
) -> list[tuple[str, dict[str, list[float]], bool]]:
    """Per figure: wall and CPU seconds of each request (present, past) and whether the
    past answer differs from the present one."""
    out = []
    for label, path, params in FIGURES:
        url = f"/t/demo/api/{path}"
        past = {**params, "as_of": as_of}
        now_body = _time(client, url, params, headers)[2]
        past_body = _time(client, url, past, headers)[2]
        for _ in range(3):  # warm-up: caches, compiled queries
            _time(client, url, params, headers)
            _time(client, url, past, headers)
        times: dict[str, list[float]] = {"now": [], "now_cpu": [], "past": [], "past_cpu": []}
        for n in range(requests):
            order = (
                (("now", params), ("past", past))
                if n % 2 == 0
                else (("past", past), ("now", params))
            )
            for key, query in order:
                wall, cpu, _ = _time(client, url, query, headers)
                times[key].append(wall)
                times[f"{key}_cpu"].append(cpu)
        differs = {k: v for k, v in now_body.items() if k != "as_of"} != {
            k: v for k, v in past_body.items() if k != "as_of"
        }
        out.append((label, times, differs))
        say(f"{label}: done")
    return out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=0.2, help="demo data scale")
    parser.add_argument("--requests", type=int, default=40, help="requests per figure and side")
    parser.add_argument("--as-of", default="2026-06-01T00:00:00Z", help="the past moment")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file")
    parser.add_argument("--no-results", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from litestar.testing import TestClient

    from trellis.cli import create_tenant
    from trellis.platform.demo_data import create_demo, demo_files
    from trellis.platform.runtime import Runtime
    from trellis.seed.crm import PACKAGE_PATH
    from trellis.ui.screens.app import create_web_app

    backend = "PostgreSQL" if args.database_url else "SQLite"
    with workspace(args.database_url, keep=False) as (data_dir, prefix):
        runtime = Runtime(make_config(data_dir, args.database_url, prefix))
        try:
            create_tenant(runtime, "demo", "crm", ADMIN, None)
            files = demo_files(Path(str(PACKAGE_PATH)))
            start = time.perf_counter()
            demo = create_demo(runtime, "demo", files, admin=ADMIN, scale=args.scale, anchor=ANCHOR)
            say(f"demo: {demo.total} records in {time.perf_counter() - start:.0f} s")
            token = runtime.registry.create_token("demo", ADMIN)
            headers = {"Authorization": f"Bearer {token}"}
            with TestClient(app=create_web_app(runtime)) as client:
                results = _measure(client, headers, args.as_of, args.requests)
        finally:
            runtime.close()
    command = f"python bench/bench_as_of.py --scale {args.scale} --requests {args.requests}" + (
        f" --database-url {args.database_url}" if args.database_url else ""
    )
    lines = [
        *run_header(backend, command),
        f"CRM demo at scale {args.scale} ({demo.total} records, {demo.history_saves} history "
        f"saves); past moment `as_of={args.as_of}` (demo anchor {ANCHOR}); {args.requests} "
        "requests per side, alternating, after a warm-up; in-process API (test client).",
        "",
        "| figure | present p50 ms | as_of p50 ms | ratio p50 | present p95 ms | as_of p95 ms "
        "| present CPU ms/req | as_of CPU ms/req | ratio CPU | answers differ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, t, differs in results:
        now50, past50 = statistics.median(t["now"]) * 1e3, statistics.median(t["past"]) * 1e3
        now_cpu = statistics.mean(t["now_cpu"]) * 1e3
        past_cpu = statistics.mean(t["past_cpu"]) * 1e3
        lines.append(
            f"| {label} | {now50:.1f} | {past50:.1f} | {past50 / now50:.2f}x "
            f"| {_p95(t['now']) * 1e3:.1f} | {_p95(t['past']) * 1e3:.1f} "
            f"| {now_cpu:.1f} | {past_cpu:.1f} | {past_cpu / now_cpu:.2f}x "
            f"| {'yes' if differs else 'no'} |"
        )
    body = "\n".join(lines) + "\n"
    say(body)
    if not args.no_results:
        write_section(args.results, f"Figures as_of a past moment vs the present ({backend})", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
