"""YAML loading keeps 1-based positions of every key and value."""

from __future__ import annotations

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import load_yaml, to_pointer
from trellis.metadata.model import SourceSpan

DOC = """\
entity: deal
fields:
  amount:
    type: money
    min: 0
  stage: {type: enum, options: [open, won]}
  total:
    formula: "amount * 2"
  note:
    default: |
      concat("a",
        b)
validations:
  - when: 'x > 1'
    message: no
"""


def span(line: int, col: int) -> SourceSpan:
    return SourceSpan("f.yaml", line, col)


def test_nested_block_key_and_value_positions() -> None:
    doc = load_yaml(DOC, "f.yaml")
    position = doc.positions[("fields", "amount", "min")]
    assert (position.key, position.value) == (span(5, 5), span(5, 10))
    assert doc.data["fields"]["amount"]["min"] == 0


def test_flow_mapping_and_list_item_positions() -> None:
    doc = load_yaml(DOC, "f.yaml")
    assert doc.positions[("fields", "stage", "type")].value == span(6, 17)
    item = doc.positions[("fields", "stage", "options", 1)]
    assert (item.key, item.value) == (None, span(6, 39))


def test_quoted_scalar_content_starts_after_the_quote() -> None:
    doc = load_yaml(DOC, "f.yaml")
    formula = doc.positions[("fields", "total", "formula")]
    assert (formula.value, formula.content) == (span(8, 14), span(8, 15))
    when = doc.positions[("validations", 0, "when")]
    assert (when.value, when.content) == (span(14, 11), span(14, 12))


def test_block_scalar_content_is_its_first_line_and_keeps_the_indent() -> None:
    doc = load_yaml(DOC, "f.yaml")
    default = doc.positions[("fields", "note", "default")]
    assert default.value == span(10, 14)
    assert default.content == span(11, 7)
    text = doc.data["fields"]["note"]["default"]
    offset = text.index("b)")
    line_offset = text[:offset].count("\n")
    col_offset = offset - text.rfind("\n", 0, offset) - 1
    assert default.content.shifted(line_offset, col_offset) == span(12, 9)


def test_lookup_by_json_pointer_and_nearest_ancestor() -> None:
    doc = load_yaml(DOC, "f.yaml")
    assert to_pointer(("fields", "stage", "options", 1)) == "/fields/stage/options/1"
    assert doc.positions.by_pointer("/fields/stage/options/1").value == span(6, 39)
    assert doc.positions.anchor(("fields", "amount", "nope")) == span(3, 3)
    with pytest.raises(KeyError):
        doc.positions.by_pointer("/nope")


def test_duplicate_keys_are_reported_at_the_second_key() -> None:
    doc = load_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml")
    assert [str(d) for d in doc.diagnostics] == [
        "f.yaml:4:3: error MD005: duplicate key 'c' (first at line 3)"
    ]
    assert doc.data == {"a": 1, "b": {"c": 2}}


def test_syntax_error_carries_the_parser_position() -> None:
    with pytest.raises(MetadataError) as caught:
        load_yaml("a:\n  b: [1, 2\n", "f.yaml")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line) == ("MD001", 3)


def test_empty_document_is_none_at_line_one() -> None:
    doc = load_yaml("# nothing\n", "f.yaml")
    assert doc.data is None
    assert doc.positions.value(()) == span(1, 1)


def test_keys_are_text_and_values_keep_yaml_types() -> None:
    doc = load_yaml("yes: no\n1: 2.5\n", "f.yaml")
    assert doc.data == {"yes": False, "1": 2.5}


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    with pytest.raises(MetadataError) as caught:
        load_yaml("\n".join(lines) + "\n", "f.yaml")
    assert caught.value.diagnostics[0].code == "MD009"


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(MetadataError) as caught:
        load_yaml("a: " + "[" * 100 + "]" * 100 + "\n", "f.yaml")
    assert str(caught.value) == "f.yaml:1:1: error MD009: the document nests deeper than 64 levels"
