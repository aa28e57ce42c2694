"""Figures from the runs of one sitting: ranges, ratios, verdicts, RESULTS.md and reference.yaml.

Only valid runs (every answer checked and right, no phase cut short) give figures; a target
whose runs were all invalid, or that was skipped, gives no ratio. Ratios are taken between
medians over the rounds of this one sitting, never against figures from another run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

#: (key, label, phase, what) of the per-operation figures.
METRICS = (
    ("create_c1", "create, 1 client", "a_create_c1", "cpu"),
    ("create_c8", "create, 8 clients", "a_create_c8", "cpu"),
    ("read", "read by id", "d_read", "cpu"),
    ("list_c1", "list page, 1 client", "c_list_c1", "cpu"),
    ("list_c8", "list page, 8 clients", "c_list_c8", "cpu"),
    ("bulk", "bulk load, per row", "b_bulk", "cpu"),
)
LATENCY = (("create_c1", "a_create_c1"), ("read", "d_read"), ("list_c1", "c_list_c1"))
#: Issue 19's goals: Directus CPU ÷ Trellis CPU at least this much.
GOALS = {"create_c1": 10.0, "read": 10.0, "list_c1": 2.0, "bulk": 10.0}
BASELINE_BUDGET = 1.2
IDLE_GOAL_MIB = 100.0
PAIRS = {"trellis-sqlite": "baseline", "trellis-pg": "baseline-pg"}


@dataclass(frozen=True, slots=True)
class Figures:
    """The valid runs of one target, reduced to lists of numbers per metric."""

    name: str
    runs: int
    invalid: int
    values: dict[str, list[float]]

    def median(self, key: str) -> float | None:
        """Median over the valid rounds, None without any."""
        got = self.values.get(key) or []
        return statistics.median(got) if got else None

    def span(self, key: str, digits: int = 2) -> str:
        """``min-max`` (or the single value) over the valid rounds."""
        got = self.values.get(key) or []
        if not got:
            return "—"
        low, high = min(got), max(got)
        return f"{low:.{digits}f}" if low == high else f"{low:.{digits}f}-{high:.{digits}f}"


def figures(name: str, runs: list[dict[str, Any]]) -> Figures:
    """Reduce the runs of one target."""
    valid = [r for r in runs if r.get("valid")]
    values: dict[str, list[float]] = {}
    for run in valid:
        phases = run["phases"]
        for key, _, phase, _ in METRICS:
            values.setdefault(key, []).append(phases[phase]["server_cpu_ms_per_op"])
        for key, phase in LATENCY:
            values.setdefault(f"p50_{key}", []).append(phases[phase]["median_ms"])
        values.setdefault("rss_idle", []).append(run["rss"]["idle_mib"])
        values.setdefault("rss_peak", []).append(run["rss"]["vmhwm_mib"])
    return Figures(name, len(runs), len(runs) - len(valid), values)


def ratio(top: float | None, bottom: float | None) -> float | None:
    """``top / bottom`` when both exist."""
    return top / bottom if top is not None and bottom else None


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def render(
    all_figs: dict[str, Figures],
    runs: list[dict[str, Any]],
    command: str,
    skipped: dict[str, str],
    counts: dict[str, Any],
) -> str:
    """The Markdown body of the RESULTS.md section."""
    first = runs[0] if runs else {}
    machine = first.get("machine", {})
    commands = list(dict.fromkeys(str(r.get("command") or command) for r in runs)) or [command]
    caps = " / ".join(
        f"{c:.0f}" for c in sorted({float(r.get("counts", counts)["cap_s"]) for r in runs} or {0})
    )
    started = min((str(r.get("started", "")) for r in runs), default="")
    out = [
        f"Sitting of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (first run started {started}). "
        f"{'Command' if len(commands) == 1 else 'Commands, run back to back'} (from the "
        "repository root):",
        "",
        "```sh",
        *commands,
        "```",
        "",
        f"Machine: {machine.get('nproc')} CPUs ({machine.get('cpu', '?')}), "
        f"{machine.get('mem_gib')} GiB, Linux {machine.get('kernel')}, Python "
        f"{machine.get('python')}; load average at the start {machine.get('loadavg')}. "
        f"Workload per run: {counts['creates']:,} creates at 1 then 8 clients, "
        f"{counts['bulk_rows']:,} rows in batches of {counts['bulk_batch']:,}, "
        f"{counts['requests']} list pages (limit {counts['list_limit']}, pages 1-"
        f"{counts['pages']}) at 1 then 8 clients, {counts['requests']} reads by id; "
        f"seed {counts['seed']}; time cap {caps} s per phase; targets "
        "interleaved round by round, each on fresh data.",
        "",
        "Runs (machine-wide busy / steal % during each run; a run with a wrong answer or a "
        "phase cut short is invalid and gives no figure):",
        "",
        "| run | target | valid | busy % | steal % | problems |",
        "|---|---|---|---:|---:|---|",
    ]
    for run in runs:
        load = run.get("machine_during_run", {})
        problems = "; ".join(run.get("problems", []))[:300] or "—"
        out.append(
            f"| {run['round']} | {run['target']} | {'yes' if run.get('valid') else '**no**'} "
            f"| {load.get('busy_pct', '—')} | {load.get('steal_pct', '—')} | {problems} |"
        )
    for name, why in skipped.items():
        out.append(f"| — | {name} | skipped | — | — | {why} |")
    names = [n for n in all_figs if all_figs[n].values]
    out += ["", "Server CPU per operation, ms (range over the valid rounds):", ""]
    out += ["| operation | " + " | ".join(names) + " |", "|---" + "|---:" * len(names) + "|"]
    for key, label, _, _ in METRICS:
        digits = 3 if key == "bulk" else 2
        out.append(
            f"| {label} | " + " | ".join(all_figs[n].span(key, digits) for n in names) + " |"
        )
    for key, _ in LATENCY:
        out.append(
            f"| p50 latency {key}, ms | "
            + " | ".join(all_figs[n].span(f"p50_{key}", 1) for n in names)
            + " |"
        )
    out.append(
        "| RSS idle, MiB | " + " | ".join(all_figs[n].span("rss_idle", 0) for n in names) + " |"
    )
    out.append(
        "| RSS peak (VmHWM), MiB | "
        + " | ".join(all_figs[n].span("rss_peak", 0) for n in names)
        + " |"
    )
    out += _directus_ratios(all_figs, skipped)
    out += _baseline_ratios(all_figs)
    out += [
        "",
        "Notes: server CPU is the server process's utime + stime from /proc over each phase "
        "(PostgreSQL's own processes are not in the `-pg` figures, so compare Directus, which "
        "runs on SQLite, with `trellis-sqlite`). Trellis runs `trellis serve --no-access-log` "
        "(Directus runs with `LOG_LEVEL=warn`: neither logs per request) and writes its change "
        "history row per record; Directus writes its activity and revision rows (accountability "
        "`all`). Trellis and the baseline answer a list with a count capped at 1,001 rows; "
        "Directus computes none. Trellis and the baseline page by keyset cursor, Directus by "
        "page number. Raw JSON per run: `bench/runs/` (not in git).",
    ]
    return "\n".join(out)


def _directus_ratios(figs: dict[str, Figures], skipped: dict[str, str]) -> list[str]:
    out = ["", "Directus ÷ Trellis, server CPU per operation (medians of this sitting; goal from "
           "issue 19):", ""]  # fmt: skip
    directus = figs.get("directus")
    if directus is None or not directus.values:
        why = skipped.get("directus") or "no valid Directus run"
        return [*out, f"No ratio: {why}."]
    out += ["| operation | target | Directus | Trellis | ratio | goal | verdict |"]
    out += ["|---|---|---:|---:|---:|---:|---|"]
    for name in ("trellis-sqlite", "trellis-pg"):
        trellis = figs.get(name)
        if trellis is None or not trellis.values:
            continue
        for key, label, _, _ in METRICS:
            value = ratio(directus.median(key), trellis.median(key))
            goal = GOALS.get(key)
            verdict = (
                "—" if goal is None or value is None else ("met" if value >= goal else "**missed**")
            )
            out.append(
                f"| {label} | {name} | {directus.span(key)} | {trellis.span(key)} | {_x(value)} "
                f"| {'≥' + format(goal, '.0f') + 'x' if goal else '—'} | {verdict} |"
            )
        idle = trellis.median("rss_idle")
        if idle is not None:
            verdict = "met" if idle < IDLE_GOAL_MIB else "**missed**"
            out.append(
                f"| RSS idle / peak, MiB | {name} | {directus.span('rss_idle', 0)} / "
                f"{directus.span('rss_peak', 0)} | {trellis.span('rss_idle', 0)} / "
                f"{trellis.span('rss_peak', 0)} | "
                f"{_x(ratio(directus.median('rss_idle'), idle))} / "
                f"{_x(ratio(directus.median('rss_peak'), trellis.median('rss_peak')))} "
                f"| idle < {IDLE_GOAL_MIB:.0f} MiB | {verdict} |"
            )
    return out


def _baseline_ratios(figs: dict[str, Figures]) -> list[str]:
    out = ["", f"Trellis ÷ hand-written baseline, server CPU per operation (budget ≤ "
           f"{BASELINE_BUDGET}x):", ""]  # fmt: skip
    rows = []
    for name, base in PAIRS.items():
        trellis, baseline = figs.get(name), figs.get(base)
        if not (trellis and baseline and trellis.values and baseline.values):
            continue
        for key, label, _, _ in METRICS:
            value = ratio(trellis.median(key), baseline.median(key))
            verdict = (
                "—" if value is None else ("met" if value <= BASELINE_BUDGET else "**missed**")
            )
            rows.append(
                f"| {label} | {name} ÷ {base} | {trellis.span(key)} | {baseline.span(key)} "
                f"| {_x(value)} | {verdict} |"
            )
    if not rows:
        return [*out, "No ratio: no valid Trellis and baseline runs on the same backend."]
    return [*out, "| operation | pair | Trellis | baseline | ratio | verdict |",
            "|---|---|---:|---:|---:|---|", *rows]  # fmt: skip


def write_section(path: Path, title: str, body: str) -> None:
    """Replace the ``## title`` section of ``path`` (or append it at the end)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    heading = f"## {title}"
    lines = text.splitlines()
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), None)
        tail = lines[end:] if end is not None else []
        new = [*lines[:start], heading, "", *body.splitlines(), "", *tail]
    else:
        new = [*lines, "", heading, "", *body.splitlines()]
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(new).rstrip("\n") + "\n", encoding="utf-8")
    tmp.replace(path)


def write_reference(path: Path, directus: Figures, machine: dict[str, Any], command: str) -> None:
    """Record the Directus figures of this sitting (date, machine, ranges and medians)."""
    metrics: dict[str, Any] = {}
    for key, label, _, _ in METRICS:
        got = directus.values.get(key) or []
        if got:
            metrics[key] = {
                "label": f"server CPU ms per op, {label}",
                "min": round(min(got), 3),
                "median": round(statistics.median(got), 3),
                "max": round(max(got), 3),
            }
    for key in ("rss_idle", "rss_peak"):
        got = directus.values.get(key) or []
        if got:
            metrics[key + "_mib"] = {"min": min(got), "max": max(got)}
    document = {
        "directus": {
            "version": "12.4.0 (SQLite, accountability all, settings in bench/peer/directus.env)",
            "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
            "valid_runs": directus.runs - directus.invalid,
            "command": command,
            "machine": machine,
            "figures": metrics,
        }
    }
    header = (
        "# Directus figures measured by `python -m bench run` on this project's benchmark\n"
        "# machine (see bench/RESULTS.md for the Trellis figures of the same sitting).\n"
        "# Rewritten by every run that includes a valid Directus run; only ratios taken\n"
        "# within one sitting count.\n"
    )
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(header + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
