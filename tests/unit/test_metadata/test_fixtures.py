"""Invalid packages next to the exact diagnostics they must produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import CODES, load_package, validate_package

from metadata_test_support import NameChecker

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.txt").is_file())


def _expected(case: str) -> list[str]:
    return (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("case", CASES)
def test_fixture_reports_exactly_the_expected_lines(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES / case)
    result = validate_package("pkg", checker=NameChecker())
    assert [str(d) for d in result.diagnostics] == _expected(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("md")])
def test_fixture_is_about_its_code(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / case)
    codes = {d.code for d in validate_package("pkg", checker=NameChecker()).diagnostics}
    assert codes == {case[:5].upper()}


def test_every_code_has_a_fixture() -> None:
    assert {c[:5].upper() for c in CASES if c.startswith("md")} == set(CODES)


def test_load_package_raises_with_every_error_sorted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "many_errors")
    with pytest.raises(MetadataError) as caught:
        load_package("pkg", checker=NameChecker())
    lines = [str(d) for d in caught.value.diagnostics]
    assert lines == _expected("many_errors")
    assert str(caught.value) == "\n".join(lines)
    files = {d.span.path for d in caught.value.diagnostics}
    assert len(files) == 5
    keys = [d.sort_key() for d in caught.value.diagnostics]
    assert keys == sorted(keys)


def test_warnings_alone_do_not_block_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "md031_unknown_item")
    result = validate_package("pkg")
    assert result.model is not None
    assert list(result.model.entities) == ["deal"]
    assert [d.code for d in result.warnings] == ["MD031", "MD031"]
    assert load_package("pkg").entities["deal"].fields["name"].type == "string"
