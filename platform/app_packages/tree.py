"""Package files as trees of metadata nodes keyed by stable id, and back.

The three-way merge works on these trees, never on text lines. A named collection
(``fields``) becomes ``{"@kind": "map", "#<id>": {"@name": name, ...}}``; a list becomes
``{"@kind": "list", <key>: item}`` where the key is the item's id when it has one, its
name, or its content; a rules file becomes its rule blocks keyed by id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from trellis.platform.app_packages.canonical import YAML_SUFFIXES, canonical_yaml, read_yaml
from trellis.platform.app_packages.lock import LOCK_FILE

KIND, NAME, NODE_ID, HEAD = "@kind", "@name", "@id", "@head"
_RULE_START = re.compile(r'^\s*rule\s+"([^"]+)"')
#: Named collections of an entity file and the node kind of their members.
_MAPS = {"fields": "field"}
#: Lists whose items are nodes: where they sit, and the node kind of their items.
_LISTS = {"stages": "stage", "states": "state", "transitions": "transition"}


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _node_base(path: str, data: Mapping[str, Any]) -> str | None:
    """The lock path of the node a file declares (``entity:contact``), if any."""
    top = path.split("/", 1)[0]
    kind = {"entities": "entity", "pipelines": "pipeline", "workflows": "workflow"}.get(top)
    if kind is None:
        return None
    return f"{kind}:{data.get(kind) or _stem(path)}"


def _item_key(item: Any, node: str | None, ids: Mapping[str, str]) -> str:
    if node is not None and node in ids:
        return "#" + ids[node]
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return "~" + str(item["name"])
    return "=" + json.dumps(item, sort_keys=True, default=str)


def _item_name(item: Any) -> str | None:
    if isinstance(item, dict):
        name = item.get("name") or item.get("label")
        return name if isinstance(name, str) else None
    return item if isinstance(item, str) else None


def _to_tree(value: Any, base: str | None, ids: Mapping[str, str], key: str = "") -> Any:
    if isinstance(value, dict):
        if key in _MAPS and base is not None:
            out: dict[str, Any] = {KIND: "map"}
            for name, spec in value.items():
                node = f"{base}/{_MAPS[key]}:{name}"
                child = _to_tree(spec, None, ids)
                out[_item_key(name, node, ids) if node in ids else "~" + name] = {
                    NAME: name,
                    "@value": child,
                }
            return out
        return {k: _to_tree(v, base, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        items: dict[str, Any] = {KIND: "list"}
        kind = _LISTS.get(key) if base is not None else None
        for item in value:
            item_name = _item_name(item)
            path = f"{base}/{kind}:{item_name}" if kind and item_name is not None else None
            items.setdefault(_item_key(item, path, ids), _to_tree(item, None, ids))
        return items
    return value


def _rules_tree(text: str, ids: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {KIND: "rules", HEAD: ""}
    current = HEAD
    for line in text.splitlines(keepends=True):
        match = _RULE_START.match(line)
        if match:
            name = match.group(1)
            current = "#" + ids[f"rule:{name}"] if f"rule:{name}" in ids else "~" + name
            out[current] = ""
        out[current] += line
    return out


def package_tree(files: Mapping[str, str], ids: Mapping[str, str]) -> dict[str, Any]:
    """Every file of a package (the lock aside) as a tree keyed by path."""
    tree: dict[str, Any] = {}
    for path in sorted(files):
        text = files[path]
        if path == LOCK_FILE:
            continue
        if path.endswith(".rules"):
            tree[path] = _rules_tree(text, ids)
        elif path.endswith(YAML_SUFFIXES):
            data = read_yaml(text)
            base = _node_base(path, data) if isinstance(data, dict) else None
            node = _to_tree(data, base, ids)
            if isinstance(node, dict) and base is not None and base in ids:
                node = {NODE_ID: ids[base], **node}
            tree[path] = node
        else:
            tree[path] = text
    return tree


class Resolved:
    """A value an upgrade's resolutions file gave as is (plain YAML data)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Resolved) and other.value == self.value

    __hash__ = None  # type: ignore[assignment]


def plain(node: Any) -> Any:
    """A tree node as plain YAML data again."""
    if isinstance(node, Resolved):
        return node.value
    if not isinstance(node, dict):
        return node
    kind = node.get(KIND)
    if kind == "list":
        return [plain(v) for k, v in node.items() if k != KIND]
    if kind == "map":
        return {
            str(v[NAME]) if isinstance(v, dict) else k[1:]: plain(
                v.get("@value") if isinstance(v, dict) else v
            )
            for k, v in node.items()
            if k != KIND
        }
    if kind == "rules":
        return "".join(str(plain(v)) for k, v in node.items() if k != KIND)
    return {k: plain(v) for k, v in node.items() if k != NODE_ID}


def tree_files(
    tree: Mapping[str, Any],
    same: Mapping[str, Any] | None = None,
    texts: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A merged tree as package files (canonical YAML, rules and templates as text).

    A file whose node equals its node in ``same`` keeps its text from ``texts``.
    """
    files: dict[str, str] = {}
    for path, node in tree.items():
        if same is not None and texts is not None and path in texts and same.get(path) == node:
            files[path] = texts[path]
            continue
        value = plain(node)
        if path.endswith(YAML_SUFFIXES) and not (
            isinstance(node, Resolved) and isinstance(value, str)
        ):
            files[path] = canonical_yaml(value)
        else:
            files[path] = str(value)
    return files


def display_key(key: str, nodes: tuple[Any, ...]) -> str:
    """How a path segment reads in a conflict report: a node's name, not its id."""
    if not key.startswith("#"):
        return key[1:] if key.startswith(("~", "=")) else key
    for node in nodes:
        if isinstance(node, dict) and isinstance(node.get(NAME), str):
            return str(node[NAME])
        if isinstance(node, str):
            match = _RULE_START.match(node)
            return match.group(1) if match else node
        name = _item_name(plain(node)) if isinstance(node, dict) else None
        if name is not None:
            return name
    return key[1:]


__all__ = [
    "KIND",
    "NAME",
    "NODE_ID",
    "Resolved",
    "display_key",
    "package_tree",
    "plain",
    "tree_files",
]
