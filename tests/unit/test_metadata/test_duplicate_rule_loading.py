"""The ``duplicates:`` list of an entity file: built when valid, every problem placed."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import CODES, load_package
from trellis.metadata.model.duplicates import BlockingKey, DuplicateAction, DuplicateMatch

FIELDS = """\
fields:
  first_name: {type: string}
  last_name: {type: string}
  email: {type: email}
  phone: {type: phone}
  age: {type: integer}
"""


def _package(tmp_path: Path, rules: str) -> Path:
    (tmp_path / "entities").mkdir(parents=True)
    (tmp_path / "app.yaml").write_text("name: t\nversion: 1.0.0\nlabel: T\n", encoding="utf-8")
    text = FIELDS + "duplicates:\n" + rules
    (tmp_path / "entities" / "person.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_valid_rules_are_built_in_order(tmp_path: Path) -> None:
    rules = """\
  - {name: same_email, match: exact, fields: [email], action: block}
  - {match: exact, fields: phone}
  - name: names
    match: fuzzy
    fields: [first_name, last_name]
    threshold: 0.9
    blocking: [{field: last_name, prefix: 3}, phone]
"""
    built = load_package(_package(tmp_path, rules)).entities["person"].duplicates
    assert [r.name for r in built] == ["same_email", "rule_2", "names"]
    assert built[0].action is DuplicateAction.BLOCK
    assert built[1].action is DuplicateAction.WARN and built[1].fields == ("phone",)
    assert built[2].match is DuplicateMatch.FUZZY and built[2].threshold == 0.9
    assert built[2].blocking == (BlockingKey("last_name", 3), BlockingKey("phone"))


@pytest.mark.parametrize(
    ("rules", "code", "line", "col", "words"),
    [
        ("  - {match: exact, fields: [email], treshold: 1}\n", "MD330", 8, 37, "'treshold'"),
        ("  - {match: exakt, fields: [email]}\n", "MD331", 8, 13, "'exakt'"),
        ("  - {match: exact, fields: [emial]}\n", "MD332", 8, 29, "unknown field 'emial'"),
        ("  - {match: fuzzy, fields: [age], blocking: [email]}\n", "MD333", 8, 29, "integer"),
        (
            "  - {match: fuzzy, fields: [last_name], blocking: [email], threshold: 1.5}\n",
            "MD334",
            8,
            71,
            "at most 1",
        ),
        ("  - {match: exact, fields: [email], threshold: 0.5}\n", "MD334", 8, 48, "fuzzy"),
        ("  - {match: fuzzy, fields: [last_name]}\n", "MD335", 8, 5, "blocking"),
        (
            "  - {match: fuzzy, fields: [last_name], blocking: [{field: email, prefix: 0}]}\n",
            "MD335",
            8,
            75,
            "prefix",
        ),
        ("  - {match: exact, fields: [email], action: stop}\n", "MD336", 8, 45, "'stop'"),
        (
            "  - {name: a, match: exact, fields: [email]}\n"
            "  - {name: a, match: exact, fields: [phone]}\n",
            "MD337",
            9,
            12,
            "already used",
        ),
        ("  key: value\n", "MD330", 8, 3, "list"),
    ],
)
def test_bad_rules_are_placed_with_their_code(
    tmp_path: Path, rules: str, code: str, line: int, col: int, words: str
) -> None:
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path, rules))
    found = [d for d in caught.value.errors if d.code == code]
    assert found, [str(d) for d in caught.value.errors]
    assert (found[0].span.line, found[0].span.col) == (line, col), str(found[0])
    assert words in found[0].message
    assert found[0].span.path.endswith("person.yaml")
    assert code in CODES


def test_a_misspelt_key_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(MetadataError) as caught:
        load_package(_package(tmp_path, "  - {match: exact, fields: [email], acton: warn}\n"))
    assert caught.value.errors[0].suggestion == "action"
