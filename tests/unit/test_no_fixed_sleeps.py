"""No test sleeps a fixed time over 0.2 s: time-based behaviour moves a FakeClock instead.

Waiting for another process (a server, a worker) polls with a deadline in short steps.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
LONGEST = 0.2


def _short_literal(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and node.value <= LONGEST
    )


def _bounded(node: ast.expr | None) -> bool:
    """A literal of at most 0.2 s, or ``min(...)`` with such a literal among its terms."""
    if _short_literal(node):
        return True
    return (
        isinstance(node, ast.Call)
        and getattr(node.func, "id", "") == "min"
        and any(_short_literal(a) for a in node.args)
    )


def _long_sleeps(path: Path) -> list[str]:
    """``sleep(...)`` calls of ``path`` whose argument is not bounded by 0.2 s."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name != "sleep":
            continue
        if not _bounded(node.args[0] if node.args else None):
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_test_sleeps_longer_than_a_fifth_of_a_second() -> None:
    found = [hit for path in sorted(TESTS.rglob("*.py")) for hit in _long_sleeps(path)]
    assert found == []


def test_the_sleep_scan_catches_long_and_computed_sleeps(tmp_path: Path) -> None:
    planted = tmp_path / "slow.py"
    short, long = 0.1, 2.1  # the planted file's sleeps; this file itself never sleeps
    planted.write_text(
        "import time\nfrom time import sleep\nWAIT = 2\n"
        f"time.sleep({short})\ntime.sleep({long})\nsleep(WAIT + {short})\nsleep(0.2)\n"
        f"sleep(min({short}, WAIT))\nsleep(min(WAIT, {long}))\n",
        encoding="utf-8",
    )
    assert _long_sleeps(planted) == ["slow.py:5", "slow.py:6", "slow.py:9"]
