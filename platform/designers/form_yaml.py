"""Edit a public form file (``forms/<name>.yaml``) in place, keeping every comment.

A changed value is written as one YAML flow value where the old one was; a changed
``fields`` list keeps each unchanged item's text (and the comment lines before it) as
written and writes a changed or new item on one line. A comment that was inside text
that is replaced (a removed item, a rewritten value) is moved, not dropped: it goes on
its own line just above the key that holds it.
"""

from __future__ import annotations

from typing import Any

import yaml

from trellis.platform.designers.field_yaml import FastLoader, flow, node_end
from trellis.platform.drafts.errors import DraftError


class FormFileError(DraftError):
    """The form file cannot be edited (not YAML, not a mapping, ``fields`` not a list)."""


def _compose(text: str) -> yaml.MappingNode:
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError as exc:
        raise FormFileError(f"The form file is not valid YAML: {exc}") from None
    if not isinstance(root, yaml.MappingNode):
        raise FormFileError("The form file is not a YAML mapping.")
    return root


def _comment(line: str) -> str | None:
    """The ``# …`` comment of one line of YAML (quotes respected), or None."""
    quote = ""
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i:].rstrip()
    return None


def comments(text: str) -> list[str]:
    """Every comment in ``text``, in order."""
    return [c for c in (_comment(line) for line in text.split("\n")) if c is not None]


def _line_start(text: str, at: int) -> int:
    return text.rfind("\n", 0, at) + 1


def _hoist(text: str, key: yaml.Node, moved: list[str]) -> str:
    """``text`` with ``moved`` comments on their own lines just above ``key``'s line."""
    if not moved:
        return text
    at = _line_start(text, int(key.start_mark.index))
    indent = " " * int(key.start_mark.column)
    return text[:at] + "".join(f"{indent}{c}\n" for c in moved) + text[at:]


def _find(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return k, v
    return None


def set_value(text: str, path: tuple[str, ...], value: Any) -> str:
    """``text`` with the value at ``path`` (``("title",)``, ``("success", "message")``)
    written as ``value`` on one line; a missing key is added at the end of its mapping.
    """
    root = _compose(text)
    node: yaml.Node = root
    for depth, key in enumerate(path):
        found = _find(node, key)
        if found is None:
            new = value
            for k in reversed(path[depth + 1 :]):
                new = {k: new}
            return _append(text, node, key, new, top=node is root)
        k_node, node = found
    start, end = int(node.start_mark.index), node_end(node)
    moved = comments(text[start:end])
    edited = text[:start] + _one(value) + text[end:]
    return _hoist(edited, k_node, moved)


def _append(text: str, mapping: yaml.Node, key: str, value: Any, *, top: bool) -> str:
    line = f"{key}: {_one(value)}"
    if top:
        body = text if text.endswith("\n") or not text else text + "\n"
        return f"{body}{line}\n"
    if not isinstance(mapping, yaml.MappingNode) or mapping.flow_style or not mapping.value:
        raise FormFileError(f"Cannot add '{key}' to the form file here.")
    indent = " " * int(mapping.value[0][0].start_mark.column)
    at = node_end(mapping.value[-1][1])
    return text[:at] + "\n" + indent + line + text[at:]


def _one(value: Any) -> str:
    """``value`` as YAML on one line (a flow collection or a scalar)."""
    if isinstance(value, dict):
        return flow(value)
    text = flow({"v": value if isinstance(value, list) else [value]})[4:-1]
    return text if isinstance(value, list) else text[1:-1]


def _dash(text: str, item: yaml.Node) -> int:
    """Where the ``-`` of block sequence item ``item`` is."""
    return text.rfind("-", 0, int(item.start_mark.index))


def _with_comment(text: str, end: int) -> int:
    """``end`` moved past a comment that ends its line (the comment is the item's)."""
    stop = text.find("\n", end)
    stop = len(text) if stop < 0 else stop
    rest = text[end:stop].strip()
    return stop if rest.startswith("#") else end


def set_items(text: str, key: str, items: list[tuple[int | None, Any]]) -> str:
    """``text`` with the top-level list ``key`` made of ``items``.

    Each item is ``(i, None)`` to keep old item ``i`` exactly as written, or
    ``(i_or_None, value)`` to write ``value`` on one line.

    Raises:
        FormFileError: the file has no such list.
    """
    root = _compose(text)
    found = _find(root, key)
    seq = found[1] if found is not None else None
    if found is None or not isinstance(seq, yaml.SequenceNode) or not seq.value:
        raise FormFileError(f"The form file has no '{key}' list.")
    k_node = found[0]
    old = seq.value
    if seq.flow_style:
        start, end = int(seq.start_mark.index), int(seq.end_mark.index)
        data = yaml.load(text[start:end], Loader=FastLoader)
        new = [data[i] if v is None and i is not None else v for i, v in items]
        return _hoist(text[:start] + _one(new) + text[end:], k_node, comments(text[start:end]))
    dashes = [_dash(text, item) for item in old]
    ends = [_with_comment(text, node_end(item)) for item in old]
    indent = " " * (dashes[0] - _line_start(text, dashes[0]))
    leads: list[list[str]] = [[]]
    leads += [comments(text[ends[i - 1] : dashes[i]]) for i in range(1, len(old))]
    kept = {i for i, v in items if v is None and i is not None}
    moved: list[str] = []
    for i in range(len(old)):
        inner = comments(text[dashes[i] : ends[i]])
        if i not in kept:
            moved += leads[i] + inner
    lines: list[str] = []
    for at, value in items:
        if at is not None and value is None:
            lines += [*leads[at], text[dashes[at] : ends[at]]]
        else:
            lines.append("- " + _one(value))
    block = f"\n{indent}".join(lines)
    edited = text[: dashes[0]] + block + text[ends[-1] :]
    return _hoist(edited, k_node, moved)


__all__ = ["FormFileError", "comments", "set_items", "set_value"]
