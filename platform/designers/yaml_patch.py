"""Rewrite a YAML file to hold new data, changing only the text of the nodes that differ.

The designers change a file's data (a pure function over the parsed mapping) and
call :func:`patch_yaml` with the result. The file is composed with PyYAML (nodes keep
their character offsets) and compared with the new data node by node: an equal node
keeps its text, comments included; a changed scalar or flow collection is rewritten
in place; a block mapping gains, loses or changes entries one by one; a block list is
matched item by item (``difflib``), so changing one transition or one section leaves
its neighbours, and the comments between them, as written. Where that cannot be done
in place (keys reordered, a collection emptied), that one node is written anew as a
flow collection.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import yaml

from trellis.platform.designers.field_yaml import FastLoader, node_end
from trellis.platform.drafts.errors import DraftError

Edit = tuple[int, int, str]


class YamlPatchError(DraftError):
    """The file cannot be patched (not YAML, or not a mapping)."""


def inline(value: Any) -> str:
    """``value`` as YAML on one line (a flow collection or a scalar, quoted as needed)."""
    wrapped = isinstance(value, (dict, list))
    text = yaml.safe_dump(
        value if wrapped else [value],
        default_flow_style=True,
        sort_keys=False,
        allow_unicode=True,
        width=10**9,
    ).strip()
    return text if wrapped else text[1:-1]


def _stop(text: str, node: yaml.Node) -> int:
    """Where ``node``'s text ends, before the line breaks a block scalar swallows."""
    at = node_end(node)
    while at > 0 and text[at - 1] == "\n":
        at -= 1
    return at


def _line_start(text: str, at: int) -> int:
    return text.rfind("\n", 0, at) + 1


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def _block(node: yaml.Node) -> bool:
    if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return False
    return not node.flow_style and bool(node.value)


def _key(text: str, node: yaml.Node) -> str:
    return text[int(node.start_mark.index) : int(node.end_mark.index)]


def _drop(text: str, first: int, node: yaml.Node) -> Edit | None:
    """The edit removing the lines from ``first`` to ``node``'s end (None: not alone there)."""
    start = _line_start(text, first)
    if text[start:first].strip():
        return None
    end = _line_end(text, _stop(text, node))
    return start, min(end + 1, len(text)), ""


def _dash(text: str, item: yaml.Node) -> int:
    """Where the ``-`` of a block list item is."""
    return text.rfind("-", 0, int(item.start_mark.index))


def _mapping(
    text: str, node: yaml.MappingNode, old: dict[Any, Any], new: dict[Any, Any]
) -> list[Edit] | None:
    if len(node.value) != len(old):  # a key written twice
        return None
    entries = dict(zip(old, node.value, strict=True))
    kept = [k for k in old if k in new]
    if not kept or [k for k in new if k in old] != kept:
        return None
    edits: list[Edit] = []
    for key, (k, v) in entries.items():
        if key not in new:
            dropped = _drop(text, int(k.start_mark.index), v)
            if dropped is None:
                return None
            edits.append(dropped)
        elif new[key] != old[key]:
            edits.extend(_value(text, k, v, old[key], new[key]))
    added = [key for key in new if key not in old]
    if added:
        at = _line_end(text, _stop(text, entries[kept[-1]][1]))
        column = int(node.value[0][0].start_mark.column)
        edits.append((at, at, "".join(_entry(key, new[key], column) for key in added)))
    return edits


def _entry(key: Any, value: Any, column: int) -> str:
    if column == 0 and isinstance(value, dict) and value:
        block = yaml.safe_dump(
            {key: value}, default_flow_style=None, sort_keys=False, allow_unicode=True, width=100
        )
        return "\n" + block.rstrip("\n")
    return "\n" + " " * column + f"{inline(key)}: {inline(value)}"


def _sequence(
    text: str, node: yaml.SequenceNode, old: list[Any], new: list[Any]
) -> list[Edit] | None:
    if not new or len(node.value) != len(old):
        return None
    edits: list[Edit] = []
    first = _dash(text, node.value[0])
    column = first - _line_start(text, first)
    keys = [json.dumps(v, sort_keys=True, default=str) for v in old]
    wanted = [json.dumps(v, sort_keys=True, default=str) for v in new]
    matcher = difflib.SequenceMatcher(None, keys, wanted, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                edits.extend(_value(text, None, node.value[i], old[i], new[j]))
            continue
        for i in range(i1, i2):
            item = node.value[i]
            dropped = _drop(text, _dash(text, item), item)
            if dropped is None:
                return None
            edits.append(dropped)
        if j2 > j1:
            lines = "".join("\n" + " " * column + f"- {inline(v)}" for v in new[j1:j2])
            if i1 > 0:
                at = _line_end(text, _stop(text, node.value[i1 - 1]))
                edits.append((at, at, lines))
            else:
                at = _line_start(text, first)
                edits.append((at, at, lines[1:] + "\n"))
    return edits


def _value(text: str, key: yaml.Node | None, node: yaml.Node, old: Any, new: Any) -> list[Edit]:
    """The edits turning ``node`` (holding ``old``) into ``new``."""
    found: list[Edit] | None = None
    if _block(node) and isinstance(old, dict) and isinstance(new, dict):
        assert isinstance(node, yaml.MappingNode)
        found = _mapping(text, node, old, new)
    elif _block(node) and isinstance(old, list) and isinstance(new, list):
        assert isinstance(node, yaml.SequenceNode)
        found = _sequence(text, node, old, new)
    if found is not None:
        return found
    written = inline(new)
    if key is not None and _block(node):
        return [(int(key.end_mark.index), _stop(text, node), ": " + written)]
    if key is not None and node.start_mark.index == node.end_mark.index:  # ``key:`` alone
        colon = text.find(":", int(key.end_mark.index))
        return [(int(key.end_mark.index), colon + 1, ": " + written)]
    return [(int(node.start_mark.index), _stop(text, node), written)]


def patch_yaml(text: str, new: dict[str, Any]) -> str:
    """``text`` rewritten so that it loads as ``new``; unchanged nodes keep their text.

    Raises:
        YamlPatchError: ``text`` is not YAML, or not a mapping at the top.
    """
    try:
        root = yaml.compose(text, Loader=FastLoader) if text.strip() else None
        old = yaml.load(text, Loader=FastLoader) if root is not None else {}
    except yaml.YAMLError as exc:
        raise YamlPatchError(f"The file is not valid YAML: {exc}") from None
    if old == new:
        return text
    if root is not None and not isinstance(old, dict):
        raise YamlPatchError("The file is not a YAML mapping.")
    block = isinstance(root, yaml.MappingNode) and _block(root)
    edits = _mapping(text, root, old, new) if block else None  # type: ignore[arg-type]
    if edits is None:
        # Empty, one flow mapping, or top-level keys reordered or all replaced: written anew.
        return yaml.safe_dump(new, default_flow_style=None, sort_keys=False, allow_unicode=True)
    if not text.endswith("\n"):
        text += "\n"
    for start, end, insert in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + insert + text[end:]
    return text


__all__ = ["YamlPatchError", "inline", "patch_yaml"]
