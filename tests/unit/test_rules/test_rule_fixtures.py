"""Invalid rule packages next to the exact diagnostics they must produce (one per RL1nn code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.metadata.loader import validate_package
from trellis.rules.checker import RuleExpressionChecker

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.txt").is_file())


@pytest.mark.parametrize("case", CASES)
def test_fixture_reports_exactly_the_expected_lines(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES / case)
    result = validate_package("pkg", checker=RuleExpressionChecker())
    expected = (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [str(d) for d in result.diagnostics] == expected
    assert {d.code for d in result.diagnostics} == {case[:5].upper()}
    assert result.model is None
