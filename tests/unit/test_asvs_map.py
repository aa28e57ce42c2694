"""docs/security/asvs-l2.md stays true: every ASVS 5.0 L1+L2 requirement once, known
statuses, and every "met" row proven by tests that exist.

Test names are checked by parsing the test files with ``ast`` (nothing is imported or
run): ``tests/path/test_file.py::test_name`` must be a module-level test function,
``tests/path/test_file.py::TestClass::test_name`` a method of a module-level class.
Parametrized tests are named without their ``[…]`` suffix.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security" / "asvs-l2.md"
STATUSES = ("met", "n/a", "gap")
#: ASVS 5.0.0 has 345 requirements; 253 of them are level 1 (70) or level 2 (183).
EXPECTED_TOTAL = 253
EXPECTED_LEVELS = {"1": 70, "2": 183}
#: Level 1 and 2 requirements per chapter in ASVS 5.0.0.
EXPECTED_PER_CHAPTER = {
    "V1": 27, "V2": 11, "V3": 19, "V4": 10, "V5": 9, "V6": 35, "V7": 18, "V8": 7, "V9": 7,
    "V10": 29, "V11": 14, "V12": 9, "V13": 13, "V14": 9, "V15": 13, "V16": 16, "V17": 7,
}  # fmt: skip
ROW = re.compile(r"^\|\s*(V\d+\.\d+\.\d+)\s*\|")
TEST_REF = re.compile(r"`([^`]*::[^`]*)`")
VALID_REF = re.compile(
    r"^(tests/(?:[A-Za-z0-9_]+/)*test_[A-Za-z0-9_]+\.py)"
    r"::(?:([A-Za-z_][A-Za-z0-9_]*)::)?(test_[A-Za-z0-9_]*)$"
)
SUMMARY_ROW = re.compile(r"^\| \[(V\d+) [^\]]+\]\(#v\d+\) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$")
SUMMARY_TOTAL = re.compile(r"^\| \*\*Total\*\*" + r" \| \*\*(\d+)\*\*" * 4 + r" \|$")


@dataclass(frozen=True)
class Row:
    """One requirement row of the map."""

    line: int
    req_id: str
    level: str
    status: str
    evidence: str
    tests: tuple[str, ...]

    @property
    def chapter(self) -> str:
        return self.req_id.split(".")[0]


def parse_rows(text: str) -> list[Row]:
    """The requirement rows of ``text`` (``| Id | L | Requirement | Status | … | Tests |``)."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not ROW.match(line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 6:
            raise AssertionError(f"line {number}: expected 6 cells, found {len(cells)}")
        req_id, level, _text, status, evidence, tests = cells
        rows.append(Row(number, req_id, level, status, evidence, tuple(TEST_REF.findall(tests))))
    return rows


@cache
def _definitions(path: Path) -> frozenset[str]:
    """``name`` of module-level functions and ``Class::method`` of module-level classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return frozenset(names)


def reference_problem(ref: str, root: Path) -> str | None:
    """Why ``ref`` does not name an existing test under ``root``, or None when it does."""
    match = VALID_REF.match(ref)
    if match is None:
        return f"'{ref}' is not tests/…/test_x.py::test_name (no [param] suffix)"
    path = root / match.group(1)
    if not path.is_file():
        return f"'{ref}': no file {match.group(1)}"
    name = match.group(3) if match.group(2) is None else f"{match.group(2)}::{match.group(3)}"
    if name not in _definitions(path):
        return f"'{ref}': {match.group(1)} defines no test {name}"
    return None


def row_problems(rows: list[Row], root: Path) -> list[str]:
    """Every problem of ``rows``: statuses, duplicates, missing proofs, unknown tests."""
    problems = []
    counts = Counter(row.req_id for row in rows)
    problems += [f"{req_id} appears {n} times" for req_id, n in counts.items() if n > 1]
    for row in rows:
        where = f"line {row.line} {row.req_id}"
        if row.status not in STATUSES:
            problems.append(f"{where}: unknown status '{row.status}'")
        if row.level not in EXPECTED_LEVELS:
            problems.append(f"{where}: unknown level '{row.level}'")
        if row.status == "met" and not row.tests:
            problems.append(f"{where}: 'met' names no test")
        if row.status != "met" and len(row.evidence) < 10:
            problems.append(f"{where}: '{row.status}' needs its reason or what is missing")
        for ref in row.tests:
            problem = reference_problem(ref, root)
            if problem is not None:
                problems.append(f"{where}: {problem}")
    return problems


def coverage_problems(rows: list[Row]) -> list[str]:
    """Differences from the pinned ASVS 5.0 L1+L2 counts (total, per level, per chapter)."""
    problems = []
    if len(rows) != EXPECTED_TOTAL:
        problems.append(f"{len(rows)} rows, expected {EXPECTED_TOTAL}")
    levels = dict(Counter(row.level for row in rows))
    if levels != EXPECTED_LEVELS:
        problems.append(f"levels {levels}, expected {EXPECTED_LEVELS}")
    chapters = dict(Counter(row.chapter for row in rows))
    if chapters != EXPECTED_PER_CHAPTER:
        problems.append(f"per chapter {chapters}, expected {EXPECTED_PER_CHAPTER}")
    return problems


def summary_problems(text: str, rows: list[Row]) -> list[str]:
    """Differences between the summary table and the rows."""
    problems = []
    seen = set()
    for line in text.splitlines():
        if match := SUMMARY_ROW.match(line):
            chapter, total, *by_status = match.groups()
            seen.add(chapter)
            mine = [row for row in rows if row.chapter == chapter]
            actual = [len(mine), *(sum(r.status == s for r in mine) for s in STATUSES)]
            if [int(total), *map(int, by_status)] != actual:
                problems.append(f"summary of {chapter} says {match.groups()[1:]}, rows {actual}")
        elif match := SUMMARY_TOTAL.match(line):
            seen.add("total")
            actual = [len(rows), *(sum(r.status == s for r in rows) for s in STATUSES)]
            if list(map(int, match.groups())) != actual:
                problems.append(f"summary total says {match.groups()}, rows {actual}")
    expected = {row.chapter for row in rows} | {"total"}
    if seen != expected:
        problems.append(f"summary lists {sorted(seen)}, rows have {sorted(expected)}")
    return problems


def test_the_map_covers_every_level_1_and_2_requirement_once() -> None:
    rows = parse_rows(DOC.read_text(encoding="utf-8"))
    assert coverage_problems(rows) == []
    assert len({row.req_id for row in rows}) == EXPECTED_TOTAL


def test_every_row_has_a_known_status_and_every_met_row_existing_tests() -> None:
    rows = parse_rows(DOC.read_text(encoding="utf-8"))
    assert row_problems(rows, ROOT) == []
    assert sum(row.status == "met" for row in rows) > 0


def test_the_summary_counts_match_the_rows() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert summary_problems(text, parse_rows(text)) == []


def test_the_readme_links_the_map() -> None:
    assert "docs/security/asvs-l2.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def _row(req_id: str, status: str, tests: str, level: str = "2") -> str:
    return f"| {req_id} | {level} | Something | {status} | Because of this and that. | {tests} |"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (_row("V1.1.1", "met", "—"), "'met' names no test"),
        (_row("V1.1.1", "done", "—"), "unknown status 'done'"),
        (_row("V1.1.1", "n/a", "—", level="3"), "unknown level '3'"),
        (_row("V1.1.1", "gap", "—").replace("Because of this and that.", ""), "needs its reason"),
        (
            _row("V1.1.1", "met", "`tests/unit/test_nothing_here.py::test_x`"),
            "no file tests/unit/test_nothing_here.py",
        ),
        (
            _row("V1.1.1", "met", "`tests/unit/test_asvs_map.py::test_not_defined_anywhere`"),
            "defines no test test_not_defined_anywhere",
        ),
        (
            _row("V1.1.1", "met", "`tests/unit/test_asvs_map.py::reference_problem`"),
            "is not tests/",
        ),
        (
            _row("V1.1.1", "met", "`tests/unit/test_asvs_map.py::test_a_broken_row_is_caught[x]`"),
            "no [param] suffix",
        ),
    ],
)
def test_a_broken_row_is_caught(line: str, problem: str) -> None:
    problems = row_problems(parse_rows(line), ROOT)
    assert len(problems) == 1 and problem in problems[0], problems


def test_duplicates_missing_rows_and_a_wrong_summary_are_caught() -> None:
    proven = "`tests/unit/test_asvs_map.py::test_a_broken_row_is_caught`"
    text = "\n".join(
        [
            "| [V1 Encoding](#v1) | 2 | 2 | 0 | 0 |",
            "| **Total** | **2** | **1** | **0** | **1** |",
            _row("V1.1.1", "met", proven),
            _row("V1.1.1", "met", f"{proven}<br>`tests/unit/test_asvs_map.py::_row`"),
        ]
    )
    rows = parse_rows(text)
    assert [row.tests for row in rows][1] == (
        "tests/unit/test_asvs_map.py::test_a_broken_row_is_caught",
        "tests/unit/test_asvs_map.py::_row",
    )
    problems = row_problems(rows, ROOT)
    assert problems[0] == "V1.1.1 appears 2 times"
    assert "is not tests/" in problems[1] and len(problems) == 2
    assert coverage_problems(rows)[0] == f"2 rows, expected {EXPECTED_TOTAL}"
    assert summary_problems(text, rows) == [
        "summary total says ('2', '1', '0', '1'), rows [2, 2, 0, 0]"
    ]
