"""Editing ``roles.yaml`` entry by entry keeps everything else as written (roles designer)."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from trellis.platform.designers.roles_yaml import (
    RolesFileError,
    add_role,
    entry_lines,
    parse_roles,
    remove_role,
    rename_role_key,
    set_entity_access,
    set_role_text,
)

BLOCK = textwrap.dedent(
    """\
    # Shop roles: this comment stays.
    roles:
      clerk:
        label: Clerk
        entities:
          item:
            actions: [read, update]   # keeps stock
            scope: own
          supplier: {actions: [read]}
          order: {actions: [read]}
      viewer: {label: Viewer, entities: {item: {actions: [read]}}}
      empty:
        label: Empty
    """
)


def _entities(text: str, role: str) -> dict[str, object]:
    return dict(parse_roles(text)[role].get("entities") or {})


def test_a_changed_block_entry_becomes_one_line_and_the_rest_stays() -> None:
    spec = {"actions": ["read", "update", "delete"], "scope": "team"}
    out = set_entity_access(BLOCK, "clerk", "item", spec)
    assert "      item: {actions: [read, update, delete], scope: team}\n" in out
    assert out.startswith("# Shop roles: this comment stays.\n")
    assert out.replace("      item: {actions: [read, update, delete], scope: team}\n", "") == (
        BLOCK.replace("      item:\n        actions: [read, update]   # keeps stock\n", "").replace(
            "        scope: own\n", ""
        )
    )
    assert _entities(out, "clerk")["item"] == spec


def test_a_removed_entry_loses_its_lines_and_a_new_one_is_appended() -> None:
    out = set_entity_access(BLOCK, "clerk", "supplier", None)
    assert "supplier" not in out and "order: {actions: [read]}" in out
    out = set_entity_access(out, "clerk", "invoice", {"actions": ["read"]})
    assert "      order: {actions: [read]}\n      invoice: {actions: [read]}\n" in out
    assert list(_entities(out, "clerk")) == ["item", "order", "invoice"]
    assert set_entity_access(out, "clerk", "ghost", None) == out


def test_flow_roles_and_roles_without_entities() -> None:
    out = set_entity_access(BLOCK, "viewer", "order", {"actions": ["read"], "scope": "own"})
    assert _entities(out, "viewer") == {
        "item": {"actions": ["read"]},
        "order": {"actions": ["read"], "scope": "own"},
    }
    out = set_entity_access(out, "viewer", "item", None)
    assert list(_entities(out, "viewer")) == ["order"]
    out = set_entity_access(out, "empty", "item", {"actions": ["read"]})
    assert "  empty:\n    label: Empty\n    entities:\n      item: {actions: [read]}\n" in out
    only = set_entity_access(
        BLOCK.replace("      supplier: {actions: [read]}\n", ""), "clerk", "order", None
    )
    only = set_entity_access(only, "clerk", "item", None)
    assert _entities(only, "clerk") == {}
    assert yaml.safe_load(only)["roles"]["clerk"]["label"] == "Clerk"


def test_new_roles_go_after_the_last_one() -> None:
    out = add_role(BLOCK, "buyer", "Buyer")
    assert out.endswith("  buyer: {label: Buyer, entities: {}}\n")
    assert list(parse_roles(out)) == ["clerk", "viewer", "empty", "buyer"]
    assert add_role("", "buyer", "Buyer") == "roles:\n  buyer: {label: Buyer, entities: {}}\n"
    flow = add_role("roles: {a: {label: A}}\n", "b", "B")
    assert list(parse_roles(flow)) == ["a", "b"]


def test_entry_lines_cover_each_entry() -> None:
    lines = entry_lines(BLOCK)
    assert lines[("clerk", "item")] == (6, 8)
    assert lines[("clerk", "supplier")] == (9, 9)
    assert lines[("viewer", "item")] == (11, 11)


@pytest.mark.parametrize(
    ("text", "role"),
    [("roles: [a, b]\n", "a"), ("- a\n", "a"), ("roles: {a: {}}\n", "missing"), ("a: [\n", "a")],
)
def test_a_file_that_cannot_be_edited_is_refused(text: str, role: str) -> None:
    with pytest.raises(RolesFileError):
        set_entity_access(text, role, "item", {"actions": ["read"]})


def test_a_role_label_and_description_are_set_in_place() -> None:
    folded = BLOCK.replace(
        "    label: Clerk\n", "    label: Clerk\n    description: >-\n      Keeps\n      stock.\n"
    )
    assert parse_roles(folded)["clerk"]["description"] == "Keeps stock."
    out = set_role_text(folded, "clerk", "description", 'Keeps "all" stock')
    assert '    description: "Keeps \\"all\\" stock"\n    entities:\n' in out
    out = set_role_text(out, "clerk", "description", None)
    assert "description" not in out and "    label: Clerk\n    entities:\n" in out
    out = set_role_text(out, "clerk", "label", "Clerk: stock")
    assert parse_roles(out)["clerk"]["label"] == "Clerk: stock"
    out = set_role_text(out, "empty", "description", "Nothing yet")
    assert '  empty:\n    label: Empty\n    description: "Nothing yet"\n' in out
    out = set_role_text(out, "viewer", "label", "Looker")
    assert parse_roles(out)["viewer"] == {
        "label": "Looker",
        "entities": {"item": {"actions": ["read"]}},
    }
    assert entry_lines(folded)[("clerk", "item")] == (9, 11)


def test_a_role_renamed_or_removed_keeps_the_rest_as_written() -> None:
    text = "# top\nroles:\n  # agents\n  agent:\n    label: Agent\n  lead: {label: Lead}\n"
    assert rename_role_key(text, "agent", "helper") == text.replace("  agent:", "  helper:")
    assert remove_role(text, "agent") == "# top\nroles:\n  # agents\n  lead: {label: Lead}\n"
    assert remove_role("roles: {a: {label: A}, b: {label: B}}\n", "a") == "roles: {b: {label: B}}\n"
    with pytest.raises(RolesFileError, match="no role 'ghost'"):
        rename_role_key(text, "ghost", "x")
    with pytest.raises(RolesFileError, match="no role 'ghost'"):
        remove_role(text, "ghost")
