"""Set the keys of a block mapping in YAML text in place, keeping comments and order.

A changed value is replaced (written on one line), a nested block mapping is edited key
by key in turn, a key set to None is removed with its lines, a new key is appended after
the mapping's last line at its indentation. Comments of the keys left alone stay.
"""

from __future__ import annotations

from typing import Any

import yaml


def node_end(node: yaml.Node) -> int:
    """Where ``node``'s own text ends (a block collection ends with its last value)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return node_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return node_end(node.value[-1])
    return int(node.end_mark.index)


def inline(value: Any) -> str:
    """``value`` as YAML on one line (a scalar, or a flow collection)."""
    text = yaml.safe_dump(
        [value], default_flow_style=True, sort_keys=False, allow_unicode=True, width=10**9
    )
    return text.strip()[1:-1]


def line_end(text: str, at: int) -> int:
    """Where the line holding offset ``at`` ends (its newline, or the end of the text)."""
    found = text.find("\n", at)
    return len(text) if found < 0 else found


def _block(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and not node.flow_style and bool(node.value)


def _block_list(node: yaml.Node) -> bool:
    return isinstance(node, yaml.SequenceNode) and not node.flow_style and bool(node.value)


def key_edits(
    text: str, node: yaml.MappingNode, updates: dict[str, Any], old: dict[str, Any]
) -> list[tuple[int, int, str]]:
    """(start, end, new text) edits making block mapping ``node`` hold ``updates``.

    ``old`` is the mapping's data; keys not in ``updates`` are left as written.
    """
    edits: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for key_node, value in node.value:
        key = str(key_node.value)
        if key not in updates:
            continue
        seen.add(key)
        new, before = updates[key], old.get(key)
        if new is None:
            start = text.rfind("\n", 0, int(key_node.start_mark.index))
            edits.append((start, line_end(text, node_end(value)), ""))
        elif before == new:
            continue
        elif _block(value) and isinstance(new, dict) and isinstance(before, dict):
            nested = {**{k: None for k in before if k not in new}, **new}
            edits += key_edits(text, value, nested, before)
        elif _block(value) or _block_list(value):
            # A block collection written on one line: from the key's colon, so the new
            # value never lands at the key's own indentation (an indentless list).
            edits.append((int(key_node.end_mark.index), node_end(value), ": " + inline(new)))
        else:
            edits.append((int(value.start_mark.index), node_end(value), inline(new)))
    indent = " " * int(node.value[0][0].start_mark.column)
    at = line_end(text, node_end(node))
    added = [
        f"\n{indent}{k}: {inline(v)}" for k, v in updates.items() if k not in seen and v is not None
    ]
    if added:
        edits.append((at, at, "".join(added)))
    return edits


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with ``edits`` made (they do not overlap)."""
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def set_mapping(
    text: str, node: yaml.MappingNode, definition: dict[str, Any], old: dict[str, Any]
) -> str:
    """``text`` with block mapping ``node`` (data ``old``) holding exactly ``definition``."""
    updates = {**{k: None for k in old if k not in definition}, **definition}
    return apply_edits(text, key_edits(text, node, updates, old))


__all__ = ["apply_edits", "inline", "key_edits", "line_end", "node_end", "set_mapping"]
