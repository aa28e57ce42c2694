"""The layout designer's pure edits: the ``layouts:`` block rewritten, the rest kept."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from trellis.platform.designers.layout_edit import (
    LayoutChange,
    LayoutEditError,
    apply_change,
    set_layouts,
)

ENTITY = textwrap.dedent(
    """\
    entity: item
    # a comment that stays
    fields:
      name: {type: string}  # the name
      size: {type: string}
    layouts:
      form:
        sections:
          - {label: Main, fields: [name]}
          - {label: More, fields: [size]}
    rules: []
    """
)


def test_set_layouts_rewrites_only_the_layouts_block() -> None:
    layouts = yaml.safe_load(ENTITY)["layouts"]
    moved = apply_change(layouts, LayoutChange("to_section", "form", field="size", section=0))
    text = set_layouts(ENTITY, moved)
    data = yaml.safe_load(text)
    assert data["layouts"]["form"]["sections"] == [{"label": "Main", "fields": ["name", "size"]}]
    assert data["rules"] == [] and list(data) == ["entity", "fields", "layouts", "rules"]
    assert "# a comment that stays" in text and "# the name" in text
    assert layouts["form"]["sections"][1]["fields"] == ["size"]  # the input is not changed


def test_set_layouts_appends_a_block_to_a_file_without_one() -> None:
    text = set_layouts("entity: x\nfields: {a: {type: string}}", {"list": {"columns": ["a"]}})
    assert yaml.safe_load(text)["layouts"] == {"list": {"columns": ["a"]}}


def test_a_move_past_either_end_stays_in_place() -> None:
    layouts = {"list": {"columns": ["a", "b"]}}
    assert apply_change(layouts, LayoutChange("up", "list", field="a")) == layouts
    assert apply_change(layouts, LayoutChange("down", "list", field="b")) == layouts
    with pytest.raises(LayoutEditError, match="at least one column"):
        apply_change({"list": {"columns": ["a"]}}, LayoutChange("remove", "list", field="a"))
