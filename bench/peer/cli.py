"""``python -m bench run``: the peer workload against each target, interleaved by round."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.peer import procstat, report
from bench.peer.targets import NAMES, PG_URL, Skipped, StartError, Target, workdir
from bench.peer.workload import FULL, QUICK, Workload

BENCH = Path(__file__).resolve().parents[1]
RESULTS = BENCH / "RESULTS.md"
REFERENCE = BENCH / "reference.yaml"
RUNS = BENCH / "runs"
TITLE = "Peer workload: Trellis, hand-written baseline and Directus side by side (issue 19)"
DIRECTUS_VAR = "PEER_DIRECTUS"


def say(text: str) -> None:
    """Progress on standard output."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The ``run`` command's options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the peer workload and report")
    run.add_argument(
        "--targets",
        default=",".join(NAMES),
        help=f"comma list out of {', '.join(NAMES)} (default: all)",
    )
    run.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick: 1)")
    run.add_argument(
        "--quick", action="store_true", help="tiny counts, answers checked, nothing timed"
    )
    run.add_argument(
        "--directus",
        type=Path,
        default=os.environ.get(DIRECTUS_VAR) or None,
        help=f"Directus install folder of the shared recipe (default: ${DIRECTUS_VAR})",
    )
    run.add_argument("--host", default="127.0.0.1", help="loopback address to serve on")
    run.add_argument("--pg-url", default=os.environ.get("TRELLIS_TEST_PG_URL") or PG_URL)
    run.add_argument("--runs-dir", type=Path, default=RUNS, help="where the JSON per run goes")
    run.add_argument("--results", type=Path, default=RESULTS, help="results file to update")
    run.add_argument("--no-results", action="store_true", help="leave RESULTS.md alone")
    run.add_argument(
        "--cap-s",
        type=float,
        default=None,
        help="time cap per phase in seconds (default 600, as the shared recipe; --quick: 60)",
    )
    run.add_argument("--keep", action="store_true", help="keep each run's data and logs")
    again = sub.add_parser("report", help="write the report again from a folder of run JSON")
    again.add_argument("folder", type=Path, help="e.g. bench/runs/20261204-054611")
    again.add_argument("--results", type=Path, default=RESULTS, help="results file to update")
    args = parser.parse_args(argv)
    if args.command == "report":
        return args
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in args.targets if t not in NAMES]
    if unknown or not args.targets or args.rounds < 1:
        parser.error(f"--targets takes names out of {', '.join(NAMES)}; --rounds at least 1")
    return args


def run_one(
    target: Target, args: argparse.Namespace, round_no: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """Start ``target`` fresh, run the workload, stop it by PID; the run's JSON."""
    counts = replace(QUICK if args.quick else FULL, **({"cap_s": args.cap_s} if args.cap_s else {}))
    work, remove = workdir(target.name, args.keep)
    record: dict[str, Any] = {
        "target": target.name,
        "round": round_no,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": procstat.machine(),
        "counts": asdict(counts),
        "quick": args.quick,
    }
    began = time.monotonic()
    try:
        server = target.start(work)
    except StartError as exc:
        say(f"  {target.name} did not start:\n{exc}")
        remove()
        return {**record, "valid": False, "problems": [f"did not start: {str(exc)[:500]}"]}
    took = time.monotonic() - began
    record["startup_s"] = round(took, 1)  # set-up of fresh data plus the server's start
    say(f"  {target.name}: pid {server.pid} on {server.api.base}, up after {took:.1f} s")
    try:
        workload = Workload(server.api, server.pid, counts, timed=not args.quick)
        record.update(asyncio.run(workload.run(say)))
    except Exception as exc:
        record.update(valid=False, problems=[f"the client failed: {exc!r}"])
        tail = server.log.read_text(errors="replace")[-2000:]
        say(f"  {target.name}: the client failed: {exc!r}; the server's log:\n{tail}")
    finally:
        server.stop()
        say(f"  {target.name}: pid {server.pid} stopped")
        if args.keep:
            say(f"  data and logs kept in {work}")
        remove()
    return record


def write_report(
    runs: list[dict[str, Any]], command: str, skipped: dict[str, str], results: Path | None
) -> None:
    """Figures, ratios and verdicts of ``runs``: printed, and written to ``results``."""
    names = list(dict.fromkeys(r["target"] for r in runs))
    figs = {n: report.figures(n, [r for r in runs if r["target"] == n]) for n in names}
    counts = runs[0]["counts"] if runs else asdict(FULL)
    body = report.render(figs, runs, command, skipped, counts)
    say(f"\n## {TITLE}\n\n{body}")
    if results is None:
        return
    report.write_section(results, TITLE, body)
    say(f"written to {results}")
    if "directus" in figs and figs["directus"].values:
        report.write_reference(REFERENCE, figs["directus"], runs[0]["machine"], command)
        say(f"Directus figures recorded in {REFERENCE}")


def report_again(folder: Path, results: Path) -> int:
    """``python -m bench report FOLDER``: the report of the runs saved in ``folder``."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    runs = [r for r in runs if not r.get("quick")]
    if not runs:
        say(f"no full (non-quick) run JSON in {folder}")
        return 2
    runs.sort(key=lambda r: (r["round"], r["started"]))
    write_report(runs, runs[0]["command"], {}, results)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run every round, write the JSON per run, report; exit 1 when a run was invalid."""
    raw = list(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C, so every started server is still stopped by its PID.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    args = parse_args(raw)
    if args.command == "report":
        return report_again(args.folder, args.results)
    command = "python -m bench " + " ".join(raw)
    directus = args.directus.resolve() if args.directus else None
    targets = [
        Target(name, host=args.host, pg_url=args.pg_url, directus_dir=directus, demo=not args.quick)
        for name in args.targets
    ]
    skipped: dict[str, str] = {}
    try:
        for target in targets:
            try:
                target.check()
            except Skipped as exc:
                skipped[target.name] = str(exc)
                say(f"skipping {target.name}: {exc}")
    except ValueError as exc:
        say(f"error: {exc}")
        return 2
    active = [t for t in targets if t.name not in skipped]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = args.runs_dir / stamp
    out_dir.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []

    def one(target: Target, round_no: int, out: Callable[[str], None]) -> dict[str, Any]:
        out(f"round {round_no}/{args.rounds}: {target.name}")
        record = run_one(target, args, round_no, out)
        record["command"] = command
        path = out_dir / f"{target.name}-round{round_no}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
        tmp.replace(path)
        verdict = "valid" if record["valid"] else "INVALID: " + "; ".join(record["problems"])
        out(f"  {target.name} round {round_no}: {verdict}")
        return record

    def buffered(target: Target, round_no: int) -> dict[str, Any]:
        lines: list[str] = []
        try:
            return one(target, round_no, lines.append)
        finally:
            say("\n".join(lines))

    for round_no in range(1, args.rounds + 1):
        shift = (round_no - 1) % max(1, len(active))
        order = active[shift:] + active[:shift]  # rotate so no target always goes first
        if args.quick:  # nothing is timed: the targets run side by side
            with ThreadPoolExecutor(max_workers=max(1, len(order))) as pool:
                runs += pool.map(lambda t: buffered(t, round_no), order)  # noqa: B023
        else:
            runs += [one(target, round_no, say) for target in order]
    say(f"JSON per run in {out_dir}")
    invalid = [r for r in runs if not r["valid"]]
    if not args.quick:
        write_report(runs, command, skipped, None if args.no_results else args.results)
    say(f"{len(runs) - len(invalid)} valid runs, {len(invalid)} invalid, {len(skipped)} skipped")
    return 1 if invalid else 0
