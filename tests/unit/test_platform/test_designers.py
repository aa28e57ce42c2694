"""The field designer's domain: editing one field's YAML, form values, layouts, options."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.loader import APPLIES_TO
from trellis.platform.designers import (
    TYPES,
    EntityFileError,
    definition_from_form,
    form_values,
    options_for,
    set_field,
)
from trellis.platform.designers.field_yaml import option_columns, show_in_layouts

ENTITY = textwrap.dedent(
    """\
    entity: item
    # a comment that stays
    fields:
      name: {type: string, required: true}
      size:
        type: enum
        options: [small, large]  # sizes
      notes: {type: text}
    layouts:
      form:
        sections:
          - label: Main
            fields: [name, size]
      detail:
        sections:
          - label: Main
            fields:
              - name
              - size
    """
)

text_values = st.text(alphabet="abcdefgh xyz_-:'\"#{}[],", min_size=1, max_size=12).filter(
    lambda s: s.strip() == s
)
definitions = st.fixed_dictionaries(
    {"type": st.sampled_from(["string", "integer", "enum"])},
    optional={
        "label": st.one_of(
            text_values, st.fixed_dictionaries({"en": text_values, "es": text_values})
        ),
        "required": st.just(True),
        "max_length": st.integers(1, 10000),
        "options": st.lists(text_values, min_size=1, max_size=4, unique=True),
        "default": text_values,
    },
)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["name", "size", "notes", "code"]), definition=definitions)
def test_set_field_writes_exactly_that_field_and_keeps_the_rest(
    name: str, definition: dict[str, Any]
) -> None:
    before = yaml.safe_load(ENTITY)
    after_text = set_field(ENTITY, name, definition)
    after = yaml.safe_load(after_text)
    assert after["fields"][name] == definition
    for other, spec in before["fields"].items():
        if other != name:
            assert after["fields"][other] == spec
    assert list(after["fields"])[: len(before["fields"])] == list(before["fields"])
    assert after["layouts"] == before["layouts"]
    assert "# a comment that stays" in after_text


def test_set_field_in_flow_fields_and_without_fields() -> None:
    flow = set_field("entity: x\nfields: {a: {type: string}}\n", "b", {"type": "integer"})
    assert yaml.safe_load(flow)["fields"] == {"a": {"type": "string"}, "b": {"type": "integer"}}
    bare = set_field("entity: x\n", "a", {"type": "date"})
    assert yaml.safe_load(bare)["fields"] == {"a": {"type": "date"}}
    with pytest.raises(EntityFileError):
        set_field("entity: x\nfields: [a, b]\n", "c", {"type": "date"})
    with pytest.raises(EntityFileError):
        set_field("entity: [x\n", "c", {"type": "date"})


def test_option_columns_place_each_key_of_the_written_line() -> None:
    text = set_field(ENTITY, "code", {"type": "string", "max_length": "abc"})
    line = next(line for line in text.splitlines() if line.startswith("  code:"))
    columns = option_columns(text, "code")
    start, end = columns["max_length"]
    assert line[start - 1 : end] == "max_length: abc"


@settings(max_examples=60, deadline=None)
@given(definition=definitions)
def test_the_form_reads_back_the_definition_it_shows(definition: dict[str, Any]) -> None:
    values = form_values(definition)
    offered = {o.key for o in options_for(definition["type"])}
    expected = {k: v for k, v in definition.items() if k == "type" or k in offered}
    if isinstance(expected.get("default"), str):
        expected["default"] = expected["default"].strip()
    assert definition_from_form(values) == expected


def test_keys_the_designer_does_not_edit_are_kept_while_they_apply() -> None:
    previous = {
        "type": "enum",
        "options": ["a"],
        "option_labels": {"a": {"en": "A", "es": "A"}},
        "rollup": {"from": "x.y", "agg": "sum"},
    }
    kept = definition_from_form({"type": "enum", "opt_options": "a\nb"}, previous)
    assert kept["options"] == ["a", "b"] and kept["option_labels"] == previous["option_labels"]
    changed = definition_from_form({"type": "string"}, previous)
    assert "option_labels" not in changed and changed["rollup"] == previous["rollup"]
    assert definition_from_form({"type": "integer", "opt_max": "x1"})["max"] == "x1"


def test_every_type_is_offered_only_the_options_the_validator_accepts() -> None:
    for kind in TYPES:
        if kind == "lines":
            continue  # a lines field has its own keys (below)
        for option in options_for(kind):
            only = APPLIES_TO.get(option.key)
            assert only is None or kind in only, (kind, option.key)
    assert {o.key for o in options_for("lines")} == {
        "label",
        "description",
        "required",
        "entity",
        "parent_field",
        "min",
        "max",
    }
    assert "to" in {o.key for o in options_for("reference")}
    assert "to" not in {o.key for o in options_for("string")}


def test_a_new_field_joins_the_last_declared_section_of_form_and_detail() -> None:
    shown = yaml.safe_load(show_in_layouts(ENTITY, "code"))["layouts"]
    assert shown["form"]["sections"][-1]["fields"] == ["name", "size", "code"]
    assert shown["detail"]["sections"][-1]["fields"] == ["name", "size", "code"]
    assert show_in_layouts(ENTITY, "name") == ENTITY  # already there
    detail_only = yaml.safe_load(show_in_layouts(ENTITY, "code", ("detail",)))["layouts"]
    assert detail_only["form"]["sections"][-1]["fields"] == ["name", "size"]
    assert show_in_layouts("entity: x\nfields: {}\n", "code") == "entity: x\nfields: {}\n"


def test_a_block_field_is_edited_key_by_key_and_keeps_its_comments() -> None:
    labels = {"small": {"en": "Small", "es": "Pequeño"}, "large": "Large"}
    definition = {"type": "enum", "options": ["small", "large"], "option_labels": labels}
    text = set_field(ENTITY, "size", definition)
    assert "    options: [small, large]  # sizes\n" in text
    assert "    option_labels: {small: {en: Small, es: Pequeño}, large: Large}\n" in text
    assert yaml.safe_load(text)["fields"]["size"] == definition
    nested = set_field(text, "size", {**definition, "option_labels": {"small": "S"}})
    assert yaml.safe_load(nested)["fields"]["size"]["option_labels"] == {"small": "S"}
    plain = set_field(nested, "size", {"type": "string"})
    assert yaml.safe_load(plain)["fields"]["size"] == {"type": "string"}
    assert "# a comment that stays" in plain
