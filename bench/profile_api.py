"""Where the Trellis API spends its time: one operation, in-process, beside the baseline.

    python bench/profile_api.py [--op create|read|list] [-n 3000] [--top 25]

It sets up a tenant like ``bench_api.py`` does (on SQLite, in a temporary folder), then runs
the operation ``-n`` times through ``ApiGate`` and the services (authentication, app
lookup, record service, JSON) and through the hand-written ``Baseline``, without the HTTP
layer, which both share.
It prints the CPU time per operation of each, then a cProfile of the Trellis side sorted by
cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec
from baseline_app import Baseline
from bench_api import LIST_FILTER, LIST_SORT, make_config, prepare

from trellis.platform.api.gate import ApiGate
from trellis.platform.api.records_controller import list_page
from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services.caller import readable_entity

TENANT = "bench"
BODY = {
    "name": "Profiled item",
    "amount": "1234.50",
    "status": "open",
    "score": 7,
    "due": "2026-03-01",
    "email": "profiled@example.com",
}


def operations(
    op: str, api: ApiGate, baseline: Baseline, token: str
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The Trellis and baseline callables for ``op``, each doing what one request does."""
    header = f"Bearer {token}"
    raw = msgspec.json.encode(BODY)
    params = {"filter": LIST_FILTER, "sort": LIST_SORT, "limit": "50"}

    def trellis() -> Any:
        call = api.call(TENANT, header)
        entity = readable_entity(call, "item")
        records = api.services.records
        if op == "create":
            return encode(records.create(call, entity, msgspec.json.decode(raw)).record)
        if op == "read":
            return encode(records.read(call, entity, 42).record)
        return encode(list_page(api.services, call, entity, params).as_json())

    def hand_written() -> Any:
        user_id = baseline.user_for(header, TENANT)
        result: Any
        if op == "create":
            result = baseline.create(TENANT, user_id, msgspec.json.decode(raw))
        elif op == "read":
            result = baseline.read(TENANT, 42)
        else:
            result = baseline.list(TENANT, params)
        return msgspec.json.encode(result)

    return trellis, hand_written


def cpu_ms(function: Callable[[], Any], count: int) -> float:
    """Process CPU milliseconds per call, after a warm-up."""
    for _ in range(min(200, count)):
        function()
    began = time.process_time()
    for _ in range(count):
        function()
    return 1000 * (time.process_time() - began) / count


def main(argv: Sequence[str] | None = None) -> int:
    """Set up, time both sides, profile the Trellis side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", choices=["create", "read", "list"], default="create")
    parser.add_argument("-n", type=int, default=3000, help="operations per measurement")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    parser.add_argument("--rows", type=int, default=20_000, help="rows loaded first")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="trellis-profile-"))
    try:
        setup = prepare(data_dir, None, "", args.rows)
        runtime = Runtime(make_config(data_dir, None, ""))
        baseline = Baseline(str(data_dir), None, "")
        trellis, hand_written = operations(args.op, ApiGate(runtime), baseline, setup.token)
        t_ms, b_ms = cpu_ms(trellis, args.n), cpu_ms(hand_written, args.n)
        out = sys.stdout
        out.write(f"{args.op}: Trellis {t_ms:.3f} ms CPU/op, baseline {b_ms:.3f} ms CPU/op, ")
        out.write(f"ratio {t_ms / b_ms:.2f} (no HTTP layer)\n\n")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.n):
            trellis()
        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(args.top)
        out.write(text.getvalue())
        runtime.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
