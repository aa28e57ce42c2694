"""Edit the ``tiles:`` of a dashboard file in place, keeping comments and formatting.

The file is composed with PyYAML (nodes keep their offsets). A tile written as a block
mapping is edited key by key (a changed value is replaced, a cleared key removed, a new
key appended), so comments inside it stay; a one-line tile is rewritten as one flow
mapping. Moving a tile swaps it with its neighbour together with the comment lines just
above it; removing one deletes those lines too. A file whose ``tiles`` is not a block
list is patched as data (:func:`patch_yaml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from trellis.platform.designers.field_yaml import FastLoader, flow, node_end, parse_entity
from trellis.platform.designers.yaml_keys import apply_edits, key_edits, line_end
from trellis.platform.designers.yaml_patch import patch_yaml


@dataclass(frozen=True, slots=True)
class TileSpan:
    """Where one tile is: its node, its text (with the comments above it) and lines."""

    node: yaml.Node
    #: Start of the first comment line above the tile, or of the dash line.
    start: int
    #: End of the tile's last line (before its newline).
    end: int
    first_line: int
    last_line: int


def tile_items(text: str) -> list[dict[str, Any]]:
    """The file's tiles as data (``{}`` for a tile that is not a mapping)."""
    found = parse_entity(text).get("tiles")
    items = found if isinstance(found, list) else []
    return [t if isinstance(t, dict) else {} for t in items]


def _tiles_node(text: str) -> yaml.Node | None:
    try:
        root = yaml.compose(text, Loader=FastLoader)
    except yaml.YAMLError:
        return None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "tiles" and key.start_mark.column == 0 and isinstance(value, yaml.Node):
                return value
    return None


def tile_spans(text: str) -> list[TileSpan] | None:
    """Each tile's span, or None when ``tiles`` is not a block list."""
    node = _tiles_node(text)
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        return None
    spans: list[TileSpan] = []
    floor = 0
    for item in node.value:
        begin = text.rfind("\n", 0, int(item.start_mark.index)) + 1
        start = begin
        while start > floor:
            above = text.rfind("\n", 0, start - 1) + 1
            if above < floor or not text[above : start - 1].strip().startswith("#"):
                break
            start = above
        end = line_end(text, node_end(item))
        first = text.count("\n", 0, begin) + 1
        spans.append(TileSpan(item, start, end, first, text.count("\n", 0, end) + 1))
        floor = end + 1
    return spans


def _whole(text: str, tiles: list[dict[str, Any]]) -> str:
    return patch_yaml(text, {**parse_entity(text), "tiles": tiles})


def add_tile(text: str, tile: dict[str, Any]) -> str:
    """``text`` with ``tile`` appended as a one-line flow mapping."""
    spans = tile_spans(text)
    if spans is None:
        return _whole(text, [*tile_items(text), tile])
    last = spans[-1]
    at = int(last.node.start_mark.index)
    dash = text.rfind("-", 0, at)
    indent = " " * (dash - (text.rfind("\n", 0, dash) + 1))
    return text[: last.end] + "\n" + indent + "- " + flow(tile) + text[last.end :]


def remove_tile(text: str, index: int) -> str:
    """``text`` without tile ``index`` (and the comment lines above it)."""
    spans = tile_spans(text)
    if spans is None:
        items = tile_items(text)
        return _whole(text, items[:index] + items[index + 1 :])
    span = spans[index]
    return text[: span.start] + text[span.end + 1 :]


def move_tile(text: str, index: int, to: int) -> str:
    """``text`` with tiles ``index`` and ``to`` (neighbours) swapped."""
    low, high = sorted((index, to))
    spans = tile_spans(text)
    if spans is None:
        items = tile_items(text)
        items[low], items[high] = items[high], items[low]
        return _whole(text, items)
    a, b = spans[low], spans[high]
    return (
        text[: a.start]
        + text[b.start : b.end]
        + text[a.end : b.start]
        + text[a.start : a.end]
        + text[b.end :]
    )


def set_tile(text: str, index: int, updates: dict[str, Any]) -> str:
    """``text`` with tile ``index``'s keys set as ``updates`` (None removes a key).

    Keys not in ``updates`` (``description``, ``having``, …) stay as written.
    """
    spans = tile_spans(text)
    if spans is None:
        items = tile_items(text)
        merged = {**items[index], **updates}
        items[index] = {k: v for k, v in merged.items() if v is not None}
        return _whole(text, items)
    node = spans[index].node
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        merged = {**tile_items(text)[index], **updates}
        tile = {k: v for k, v in merged.items() if v is not None}
        start = int(node.start_mark.index)
        return text[:start] + flow(tile) + text[node_end(node) :]
    return apply_edits(text, key_edits(text, node, updates, tile_items(text)[index]))


def tile_key_at(text: str, index: int, line: int, column: int) -> str | None:
    """The key of tile ``index`` at 1-based ``line``/``column`` (``numerator_where`` for
    a key of a ratio part, ``having_2_where`` for one of a list's items), or None when
    the place is not in one of its keys."""
    spans = tile_spans(text)
    if spans is None or index >= len(spans):
        return None
    starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")]
    if not 1 <= line <= len(starts):
        return None
    at = starts[line - 1] + column - 1
    return _key_at(spans[index].node, at, "")


def _key_at(node: yaml.Node, at: int, prefix: str) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if int(key.start_mark.index) <= at <= node_end(value):
            name = f"{prefix}{key.value}"
            inner = _key_at(value, at, f"{name}_") if not prefix else None
            if not prefix and isinstance(value, yaml.SequenceNode):
                inner = _item_key_at(value, at, name)
            return inner or name
    return None


def _item_key_at(node: yaml.SequenceNode, at: int, name: str) -> str | None:
    """``having_2_where``: the key of item 2 of list ``name`` at offset ``at``."""
    for number, item in enumerate(node.value, start=1):
        if int(item.start_mark.index) <= at <= node_end(item):
            return _key_at(item, at, f"{name}_{number}_")
    return None


__all__ = [
    "TileSpan",
    "add_tile",
    "move_tile",
    "remove_tile",
    "set_tile",
    "tile_items",
    "tile_key_at",
    "tile_spans",
]
