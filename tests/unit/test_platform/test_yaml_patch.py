"""patch_yaml: the file loads as the new data, and only the nodes that differ change."""

from __future__ import annotations

import copy
import difflib
import json
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trellis.platform.designers.yaml_patch import YamlPatchError, inline, patch_yaml

FLOW = textwrap.dedent(
    """\
    workflow: ticket_flow
    label: {en: Ticket flow, es: Flujo}   # shown in menus
    entity: ticket
    field: status
    initial: new
    # Every option of status.
    states: [new, open, closed]
    transitions:
      # Someone picks it up.
      - {name: open, label: {en: Open, es: Abrir}, from: [new], to: open}
      # Only leads close.
      - name: close
        # the lead role
        roles: [lead]
        from: [open]
        to: closed  # final
        on_enter:
          set:
            # stamp it
            resolution: '"done"'
      # Reopen
      - name: reopen
        from: closed
        to: open
    # trailing note
    """
)


def _patched(change: Any) -> tuple[str, dict[str, Any]]:
    data = yaml.safe_load(FLOW)
    new = copy.deepcopy(data)
    change(new)
    out = patch_yaml(FLOW, new)
    assert yaml.safe_load(out) == new
    return out, new


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    removed = [line[2:] for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    return removed, added


def test_roles_added_to_a_flow_transition_change_only_its_line() -> None:
    out, _ = _patched(lambda d: d["transitions"][0].__setitem__("roles", ["lead", "agent"]))
    removed, added = _changed_lines(FLOW, out)
    assert removed == ["  - {name: open, label: {en: Open, es: Abrir}, from: [new], to: open}"]
    assert added == [
        "  - {name: open, label: {en: Open, es: Abrir}, from: [new], to: open, "
        "roles: [lead, agent]}"
    ]
    assert _comments(out) == _comments(FLOW)


def test_a_block_transition_gains_keys_under_its_last_one_comments_kept() -> None:
    def change(d: dict[str, Any]) -> None:
        d["transitions"][1]["required"] = ["resolution"]
        d["transitions"][1]["approval"] = {"role": "lead", "when": "amount > 10"}

    out, _ = _patched(change)
    removed, added = _changed_lines(FLOW, out)
    assert removed == []
    assert added == ["    required: [resolution]", "    approval: {role: lead, when: amount > 10}"]
    assert _comments(out) == _comments(FLOW)


def test_initial_and_nested_values_change_in_place() -> None:
    out, _ = _patched(lambda d: d.__setitem__("initial", "open"))
    assert _changed_lines(FLOW, out) == (["initial: new"], ["initial: open"])
    out, _ = _patched(lambda d: d["transitions"][1].__setitem__("roles", ["lead", "boss"]))
    assert _changed_lines(FLOW, out) == (["    roles: [lead]"], ["    roles: [lead, boss]"])
    set_ = {"resolution": '"done"', "closed_on": "today()"}
    out, _ = _patched(lambda d: d["transitions"][1]["on_enter"].__setitem__("set", set_))
    assert _changed_lines(FLOW, out) == ([], ["        closed_on: today()"])
    assert _comments(out) == _comments(FLOW)


def test_removing_a_key_drops_its_lines_only() -> None:
    out, _ = _patched(lambda d: d["transitions"][1].pop("roles"))
    assert _changed_lines(FLOW, out) == (["    roles: [lead]"], [])
    out, _ = _patched(lambda d: d["transitions"][1].pop("on_enter"))
    removed, added = _changed_lines(FLOW, out)
    assert removed[0] == "    on_enter:" and added == []
    assert "# the lead role" in out and "# Reopen" in out and "# trailing note" in out


def test_list_items_are_matched_one_by_one() -> None:
    out, _ = _patched(lambda d: d["transitions"].pop(0))
    removed, added = _changed_lines(FLOW, out)
    assert len(removed) == 1 and removed[0].startswith("  - {name: open") and added == []
    new = {"name": "park", "from": ["open"], "to": "new"}
    out, _ = _patched(lambda d: d["transitions"].insert(1, new))
    assert _changed_lines(FLOW, out) == ([], ["  - {name: park, from: [open], to: new}"])
    out, _ = _patched(lambda d: d.__setitem__("done", ["closed"]))
    assert out.endswith("    to: open\ndone: [closed]\n# trailing note\n")
    assert _comments(out) == _comments(FLOW)


def test_an_unchanged_document_is_returned_as_is_and_values_are_quoted() -> None:
    assert patch_yaml(FLOW, yaml.safe_load(FLOW)) == FLOW
    assert inline("a: b") == "'a: b'" and inline("yes") == "'yes'" and inline(3) == "3"
    _out, new = _patched(lambda d: d.__setitem__("initial", "no: way # x"))
    assert new["initial"] == "no: way # x"


# -- property: any one edit reads back as the value; other nodes keep their text ---------

KEYS = st.from_regex(r"k_[a-z]{1,4}", fullmatch=True)
SCALARS = st.one_of(
    st.integers(-1000, 1000),
    st.booleans(),
    st.none(),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    st.text(st.sampled_from("abcñé ü:#-"), max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(KEYS, inner, min_size=1, max_size=4),
    ),
    max_leaves=14,
)
DOCS = st.dictionaries(KEYS, VALUES, min_size=1, max_size=5)


class _Comments:
    """Numbered comment lines, one before every entry."""

    def __init__(self) -> None:
        self.n = 0

    def line(self, indent: int) -> str:
        self.n += 1
        return " " * indent + f"# c{self.n}"


def _render(value: Any, indent: int, notes: _Comments) -> list[str]:
    """``value`` (a non-empty collection) in block style, a comment before each entry."""
    lines: list[str] = []
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            lines.append(notes.line(indent))
            if isinstance(item, (dict, list)) and item:
                lines += [f"{pad}{key}:", *_render(item, indent + 2, notes)]
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
        return lines
    for item in value:
        lines.append(notes.line(indent))
        if isinstance(item, dict) and item:
            # ``- key: value`` for the first entry (no comment before it), the others below.
            body = _render(item, indent + 2, notes)[1:]
            lines += [f"{pad}- {body[0].strip()}", *body[1:]]
        elif isinstance(item, list) and item:
            lines += [f"{pad}-", *_render(item, indent + 2, notes)]
        else:
            lines.append(f"{pad}- {json.dumps(item)}")
    return lines


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=DOCS, data=st.data())
def test_one_edit_reads_back_and_keeps_every_other_node(doc: dict[str, Any], data: Any) -> None:
    text = "\n".join(_render(doc, 0, _Comments())) + "\n"
    assert yaml.safe_load(text) == doc
    new = copy.deepcopy(doc)
    paths = [p for p, _v in _paths(new) if p]
    kind = data.draw(st.sampled_from(["set", "add", "insert", "delete"]))
    keeps_all = True
    scalar_set = False
    if kind == "set":
        path = data.draw(st.sampled_from(paths))
        old = _at(new, path)
        value = data.draw(VALUES)
        _at(new, path[:-1])[path[-1]] = value
        scalar_set = not isinstance(old, (dict, list)) and old != value
        keeps_all = not isinstance(old, (dict, list)) or not old
    elif kind == "add":
        maps = [p for p, v in _paths(new) if isinstance(v, dict) and v]
        target = _at(new, data.draw(st.sampled_from(maps)))
        key = data.draw(KEYS.filter(lambda k: k not in target))
        target[key] = data.draw(VALUES)
    elif kind == "insert":
        lists = [p for p, v in _paths(new) if isinstance(v, list) and v]
        if not lists:
            return
        target = _at(new, data.draw(st.sampled_from(lists)))
        target.insert(data.draw(st.integers(0, len(target))), data.draw(VALUES))
    else:
        owners = [p for p, v in _paths(new) if isinstance(v, (dict, list)) and len(v) > 1]
        if not owners:
            return
        target = _at(new, data.draw(st.sampled_from(owners)))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        del target[data.draw(st.sampled_from(keys))]
        keeps_all = False
    out = patch_yaml(text, new)
    assert yaml.safe_load(out) == new
    if keeps_all:
        assert _comments(out) == _comments(text)
    removed, added = _changed_lines(text, out)
    if scalar_set:
        assert len(removed) == 1 and len(added) == 1
    if kind in ("add", "insert"):
        assert removed == []


def test_files_that_are_not_block_mappings() -> None:
    assert yaml.safe_load(patch_yaml("", {"a": [1]})) == {"a": [1]}
    assert yaml.safe_load(patch_yaml("# only a note\n", {"a": 1})) == {"a": 1}
    assert yaml.safe_load(patch_yaml("{a: 1, b: 2}\n", {"a": 1, "b": 3})) == {"a": 1, "b": 3}
    with pytest.raises(YamlPatchError):
        patch_yaml("- a\n- b\n", {"a": 1})
    with pytest.raises(YamlPatchError):
        patch_yaml("a: [1\n", {"a": 1})
