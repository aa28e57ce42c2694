"""Time a document template as HTML, as PDF and through the API; print the Markdown report.

Shared by ``bench_documents.py`` (a small package) and ``bench_crm_quote_pdf.py`` (the CRM
quote): both time the same three things against the same budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

Runs = dict[str, dict[str, list[float]]]


def timed(run: Callable[[], Any], n: int, into: dict[str, list[float]]) -> None:
    """Wall and process CPU time (every thread: the API answers in a worker) per call."""
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        into["cpu"].append((time.process_time() - cpu) * 1000)
        into["wall"].append((time.perf_counter() - wall) * 1000)


def pdf_rounds(
    app: Litestar,
    docs: Any,
    call: Any,
    target: Any,
    record_id: int,
    template: str,
    token: str,
    args: argparse.Namespace,
) -> tuple[int, Runs]:
    """The PDF's size and the timings of ``args.rounds`` rounds of HTML, PDF and API calls."""
    url = f"/t/{call.tenant}/api/{target.name}/{record_id}/_documents/{template}.pdf"
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app=app) as client:
        size = len(docs.pdf(call, target, record_id, template).content)  # warm-up
        runs: Runs = {k: {"wall": [], "cpu": []} for k in ("HTML", "PDF", "API")}

        def get() -> None:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(response.text)

        n = args.requests
        for _ in range(args.rounds):
            timed(lambda: docs.html(call, target, record_id, template), n, runs["HTML"])
            timed(lambda: docs.pdf(call, target, record_id, template), n, runs["PDF"])
            timed(get, n, runs["API"])
    return size, runs


def report(
    out: Callable[[str], None],
    size: int,
    runs: Runs,
    args: argparse.Namespace,
    *,
    api_path: str,
    subject: str,
    budget_ms: float,
) -> None:
    """The Markdown table, the PDF/HTML ratio and the budget verdicts."""
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
        "API": f"API GET {api_path} (in process)",
    }
    for key, label in names.items():
        out(f"| {label} | {p50[key]:.2f} | {p95[key]:.2f} | {cpu[key]:.2f} |")
    ratio = f"wall p50 {p50['PDF'] / p50['HTML']:.1f}x, CPU p50 {cpu['PDF'] / cpu['HTML']:.1f}x"
    out(f"\nRatio PDF / HTML: {ratio}.")
    for what, value in (("wall p50", p50["API"]), ("CPU p50", cpu["API"])):
        verdict = "PASS" if value <= budget_ms else "FAIL"
        out(f"Budget <= {budget_ms:.0f} ms for {subject}, API {what} {value:.1f} ms: {verdict}.")


__all__ = ["Runs", "pdf_rounds", "report", "timed"]
