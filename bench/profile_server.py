"""Where a running ``trellis serve`` spends its CPU under load: a py-spy profile as text.

    python bench/profile_server.py [--op create|read|list] [--seconds 10] [--rows 20000]
                                   [--http httptools] [--loop uvloop] [--top 30]
                                   [-o bench/profiles/read.txt]

Issue 19 item 7. It prepares a tenant like ``bench_api.py`` (SQLite, a temporary folder),
starts ``trellis serve`` as a subprocess, drives one keep-alive client doing ``--op`` and
samples the server with ``py-spy record`` (``pip install py-spy``; it needs ptrace rights
over the child, which its parent has). The text report lists the functions with the most
samples on the stack (inclusive) and on top of it (self), whole stacks collapsed.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api as api
from bench_http_stack import Variant, start

#: Leaf frames of a thread waiting for work: the event loop in uvloop's C ``run`` (or the
#: selector) and a pool thread blocked on its queue. Their samples are left out.
IDLE = frozenset({"Runner.run", "_worker", "select"})


def profile(server: api.Server, seconds: float, out: Path) -> None:
    """Record ``seconds`` of the server's stacks as collapsed text into ``out``."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "-p", str(server.pid), "-d", str(int(seconds)), "-r", "250"]
    command += ["-f", "raw", "-o", str(out), "--nonblocking"]
    subprocess.run(command, check=True, capture_output=True)


def _frame_name(frame: str) -> str:
    """``function (path/module.py:12)`` -> ``function (module path)`` without the line."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    for marker in ("site-packages/", "/trellis/", "/lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def summarize(raw: Path, top: int) -> str:
    """Inclusive and self sample counts per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")]
        if frames[-1].split(" (")[0] in IDLE:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    lines = [f"{total} samples", "", "inclusive % | function"]
    lines += [f"{100 * n / total:6.1f} | {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self % | function"]
    lines += [f"{100 * n / total:6.1f} | {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", choices=("create", "read", "list"), default="read", help="load")
    parser.add_argument("--seconds", type=float, default=10.0, help="profile length")
    parser.add_argument("--rows", type=int, default=20_000, help="rows loaded first")
    parser.add_argument("--http", default="httptools", help="uvicorn HTTP parser")
    parser.add_argument("--loop", default="uvloop", help="uvicorn event loop")
    parser.add_argument("--top", type=int, default=30, help="functions listed")
    parser.add_argument("-o", "--output", type=Path, default=None, help="report file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Profile one operation and print (and optionally write) the report."""
    args = parse_args(argv)
    with api.workspace(None, False) as (data_dir, prefix):
        setup = api.prepare(data_dir, None, prefix, args.rows)
        server = start(Variant("trellis", args.http, args.loop), setup)
        try:
            api.wait_ready(server, setup.token)
            metric = api.Metric(args.op, args.op, args.op, 1)
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                api.measure(pool, server, metric, setup, 1.0, api.Totals(), 1)  # warm-up
                started = time.monotonic()
                pending = pool.apply_async(
                    api.run_client,
                    (
                        api.Job(
                            args.op,
                            server.port,
                            setup.token,
                            setup.rows,
                            started + 0.5,
                            args.seconds + 1.5,
                            7,
                        ),
                    ),
                )
                time.sleep(0.7)
                raw = data_dir / "profile.raw"
                profile(server, args.seconds, raw)
                pending.get(timeout=args.seconds + 60)
            report = f"op={args.op} http={args.http} loop={args.loop}\n" + summarize(raw, args.top)
        finally:
            server.stop()
    api.say(report)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
