"""How long issue 12's campaign takes inside a whole-suite run (``.ci/run``).

Reads the JUnit XML of one ``python -m pytest`` run and sums, per part of the campaign,
the time pytest reported for its tests (setup + call + teardown). The suite runs on
``-n auto`` workers, so the campaign's share of the run's wall time is its share of the
summed test time times the wall time::

    PYTEST_ADDOPTS="--junitxml=suite.xml" bash .ci/run      # or: python -m pytest
    python bench/campaign_time.py suite.xml --wall 1410

``--wall`` is the run's wall time in seconds (pytest's last line); without it only the
sums and shares are printed.
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

#: The campaign's parts (issue 12, "Deliver") and the test files that make them.
PARTS: dict[str, tuple[str, ...]] = {
    "1 schemathesis": (
        "tests/e2e/test_schemathesis.py",
        "tests/e2e/test_rich_text_schemathesis.py",
    ),
    "2 property fuzzing": (
        "tests/unit/test_metadata/test_loader_fuzz.py",
        "tests/unit/test_metadata/test_loader_properties.py",
        "tests/unit/test_rules/test_rule_files_fuzz.py",
        "tests/unit/test_rules/test_closure_sql_fuzz.py",
        "tests/unit/test_rules/test_fuzz_regressions.py",
    ),
    "3 crash and concurrency": (
        "tests/integration/test_crash_server.py",
        "tests/integration/test_crash_dispatcher.py",
        "tests/integration/test_concurrency.py",
    ),
    "4 outages": (
        "tests/e2e/test_outage_postgres_restart.py",
        "tests/e2e/test_outage_redis_down.py",
        "tests/e2e/test_outage_sqlite_full.py",
        "tests/e2e/test_outage_sqlite_locked.py",
        "tests/integration/test_outage_dropped_connection.py",
    ),
    "5 isolation matrix": ("tests/e2e/test_isolation_matrix.py",),
    "6 web security": (
        "tests/e2e/test_web_hardening.py",
        "tests/e2e/test_ui_csrf.py",
        "tests/e2e/test_ui_csrf_routes.py",
        "tests/e2e/test_ui_xss.py",
    ),
    "7 SSRF": ("tests/integration/test_webhook_egress.py",),
    "8 ASVS map": ("tests/unit/test_asvs_map.py",),
}


def _file_of(classname: str) -> str:
    """``tests.e2e.test_x`` (pytest's JUnit class name) as ``tests/e2e/test_x.py``."""
    parts = classname.split(".")
    while parts and not parts[-1].startswith("test_"):
        parts.pop()  # a test class inside the module
    return "/".join(parts) + ".py"


def summarise(junit: Path) -> tuple[dict[str, float], float, int]:
    """Seconds per campaign part, the whole suite's summed seconds, and its test count."""
    by_file: dict[str, float] = defaultdict(float)
    tests = 0
    for case in ET.parse(junit).getroot().iter("testcase"):
        by_file[_file_of(case.get("classname", ""))] += float(case.get("time", "0"))
        tests += 1
    parts = {name: sum(by_file.get(f, 0.0) for f in files) for name, files in PARTS.items()}
    return parts, sum(by_file.values()), tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("junit", type=Path)
    parser.add_argument("--wall", type=float, help="the run's wall time in seconds")
    args = parser.parse_args()
    parts, total, tests = summarise(args.junit)
    campaign = sum(parts.values())
    print(f"{tests} tests, {total:.1f} s of test time in all")  # noqa: T201
    print("| part | test seconds | share of the suite |")  # noqa: T201
    print("|---|---:|---:|")  # noqa: T201
    for name, seconds in parts.items():
        print(f"| {name} | {seconds:.1f} | {seconds / total:.1%} |")  # noqa: T201
    print(f"| **campaign** | **{campaign:.1f}** | **{campaign / total:.1%}** |")  # noqa: T201
    if args.wall:
        share = args.wall * campaign / total
        line = f"campaign's share of the {args.wall:.0f} s run: {share:.0f} s"
        print(f"{line} ({share / 60:.1f} min)")  # noqa: T201


if __name__ == "__main__":
    main()
