"""Three-way template merge of the CRM package against a tenant overlay of 200 changes.

    python bench/bench_template_merge.py [--rounds 7] [--results bench/RESULTS.md | --no-results]

Base is ``seed/crm`` (with its lock), theirs the 1.1.0 test fixture
(``tests/e2e/crm_1_1_0``), ours the base with 200 generated changes: labels of existing
fields changed and new fields added, spread over every entity. The baseline, measured in
the same run, parses the YAML of the three packages once (every file, with libyaml):
the floor any merge on nodes pays before comparing anything. Budget: merge ≤ 1 s.
The figures replace the section "Template upgrade: three-way merge" of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import yaml

from trellis.platform.app_packages.canonical import canonical_yaml, clear_parse_cache, parse_yaml
from trellis.platform.app_packages.lock import lock_files
from trellis.platform.app_packages.merge import merge_packages
from trellis.platform.publish import package_files
from trellis.seed.crm import PACKAGE_PATH

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "e2e" / "crm_1_1_0"
TITLE = "## Template upgrade: three-way merge"
CHANGES = 200


def overlay(base: Mapping[str, str], changes: int) -> dict[str, str]:
    """``base`` with ``changes`` tenant changes (relabelled and added fields)."""
    ours = dict(base)
    paths = sorted(p for p in ours if p.startswith("entities/"))
    docs = {p: parse_yaml(ours[p], p) for p in paths}
    made = 0
    for path in paths:
        for name, spec in docs[path]["fields"].items():
            if made < changes // 2 and isinstance(spec, dict):
                spec["label"] = f"Custom {name}"
                made += 1
    index = 0
    while made < changes:
        path = paths[index % len(paths)]
        docs[path]["fields"][f"custom_{index}"] = {"type": "string", "max_length": 40}
        index += 1
        made += 1
    for path, data in docs.items():
        ours[path] = canonical_yaml(data)
    return ours


def _median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Measure, print the section and (unless --no-results) store it in RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs of each measurement")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"), help="file")
    parser.add_argument("--no-results", action="store_true", help="only print")
    args = parser.parse_args()
    base = lock_files(package_files(Path(str(PACKAGE_PATH))))
    theirs = package_files(FIXTURE)
    ours = overlay(base, CHANGES)
    result = merge_packages(base, theirs, ours)
    texts = [t for pkg in (base, theirs, ours) for p, t in pkg.items() if p.endswith(".yaml")]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def merge() -> object:
        clear_parse_cache()  # every run parses the three packages afresh
        return merge_packages(base, theirs, ours)

    merge_ms = _median_ms(merge, args.rounds)
    parse_ms = _median_ms(lambda: [yaml.load(t, Loader=loader) for t in texts], args.rounds)
    section = "\n".join(
        [
            TITLE,
            "",
            f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Python {platform.python_version()}, "
            f"{len(base)} files in the CRM package, {CHANGES} tenant changes, "
            f"{len(result.conflicts)} conflicts, median of {args.rounds} runs; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start.",
            "",
            "```sh",
            "python bench/bench_template_merge.py",
            "```",
            "",
            "| | ms | ratio to baseline |",
            "|---|---:|---:|",
            f"| three-way merge (budget 1,000 ms) | {merge_ms:,.1f} | {merge_ms / parse_ms:.2f}x |",
            f"| baseline: parse the three packages' YAML | {parse_ms:,.1f} | 1.00x |",
            "",
        ]
    )
    print(section)  # noqa: T201 - a bench prints its figures
    if args.no_results:
        return
    results = Path(args.results)
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    if TITLE in text:
        start = text.index(TITLE)
        end = text.find("\n## ", start + len(TITLE))
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
