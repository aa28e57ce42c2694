"""Stable ids of metadata nodes and the lock file that carries them (``trellis.lock.yaml``).

Every entity, field, validation rule, layout element, pipeline stage, workflow state and
transition, trigger rule and role is a *node* with a path such as
``entity:contact/field:email``. The first publish that sees a node gives it an id; later
publishes keep it (by path, by ``renamed_from``, or from the lock file of the package),
so an exported package imported elsewhere, or a template upgrade, recognises its nodes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from trellis.platform.app_packages.canonical import canonical_yaml, parse_yaml, read_yaml

LOCK_FILE = "trellis.lock.yaml"
LOCK_VERSION = 1
_RULE = re.compile(r'^\s*rule\s+"([^"]+)"', re.MULTILINE)
_PREFIX = {
    "entity": "ent",
    "field": "fld",
    "validation": "val",
    "layout": "lay",
    "section": "sec",
    "related": "rel",
    "pipeline": "pip",
    "stage": "stg",
    "workflow": "wfl",
    "state": "sta",
    "transition": "trn",
    "rule": "rul",
    "role": "rol",
}


@dataclass(frozen=True, slots=True)
class Node:
    """One identifiable node: its path and, for a declared rename, its former path."""

    path: str
    renamed_from: str | None = None


def random_id(path: str) -> str:
    """A new id for ``path``: its kind's prefix and 12 random hex digits."""
    return f"{_kind_prefix(path)}-{secrets.token_hex(6)}"


def derived_id(path: str) -> str:
    """A reproducible id for ``path`` (for nodes a template introduces without a lock)."""
    digest = hashlib.sha256(f"trellis-node:{path}".encode()).hexdigest()
    return f"{_kind_prefix(path)}-{digest[:12]}"


def _kind_prefix(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return _PREFIX.get(last.split(":", 1)[0], "nod")


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def _item_key(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("name", "label", "entity"):
            if isinstance(item.get(key), str):
                return str(item[key])
    return str(index + 1)


def _entity_nodes(data: dict[str, Any], stem: str) -> Iterator[Node]:
    name = str(data.get("entity") or stem)
    base = f"entity:{name}"
    old = data.get("renamed_from")
    #: A renamed entity's nodes keep their ids: each is found under the former name.
    was_base = f"entity:{old}" if isinstance(old, str) else None

    def node(path: str) -> Node:
        return Node(path, was_base + path[len(base) :] if was_base else None)

    yield Node(base, was_base)
    fields = data.get("fields")
    if isinstance(fields, dict):
        for field, spec in fields.items():
            was = spec.get("renamed_from") if isinstance(spec, dict) else None
            former = None
            if isinstance(was, str) or was_base:
                former = f"{was_base or base}/field:{was if isinstance(was, str) else field}"
            yield Node(f"{base}/field:{field}", former)
    validations = data.get("validations")
    if isinstance(validations, list):
        for index in range(len(validations)):
            yield node(f"{base}/validation:{index + 1}")
    layouts = data.get("layouts")
    if isinstance(layouts, dict):
        for kind, layout in layouts.items():
            yield node(f"{base}/layout:{kind}")
            if not isinstance(layout, dict):
                continue
            for part in ("sections", "related"):
                items = layout.get(part)
                if isinstance(items, list):
                    label = "section" if part == "sections" else "related"
                    for index, item in enumerate(items):
                        yield node(f"{base}/layout:{kind}/{label}:{_item_key(item, index)}")


def file_nodes(path: str, text: str) -> Iterator[Node]:
    """The nodes one package file declares (nothing for files without nodes)."""
    if path.endswith(".rules"):
        for match in _RULE.finditer(text):
            yield Node(f"rule:{match.group(1)}")
        return
    if not path.endswith((".yaml", ".yml")) or path == LOCK_FILE:
        return
    top = path.split("/", 1)[0]
    if top not in {"entities", "pipelines", "workflows", "roles.yaml"}:
        return
    data = read_yaml(text)
    if not isinstance(data, dict):
        return
    if top == "entities":
        yield from _entity_nodes(data, _stem(path))
    elif top == "pipelines":
        name = str(data.get("pipeline") or _stem(path))
        yield Node(f"pipeline:{name}")
        for index, stage in enumerate(data.get("stages") or []):
            yield Node(f"pipeline:{name}/stage:{_item_key(stage, index)}")
    elif top == "workflows":
        name = str(data.get("workflow") or _stem(path))
        yield Node(f"workflow:{name}")
        for state in data.get("states") or []:
            yield Node(f"workflow:{name}/state:{state}")
        for index, transition in enumerate(data.get("transitions") or []):
            yield Node(f"workflow:{name}/transition:{_item_key(transition, index)}")
    elif isinstance(data.get("roles"), dict):
        for role in data["roles"]:
            yield Node(f"role:{role}")


def package_nodes(files: Mapping[str, str]) -> list[Node]:
    """Every node of a package, in path order of its files."""
    nodes: list[Node] = []
    for path in sorted(files):
        nodes.extend(file_nodes(path, files[path]))
    return nodes


def read_lock(text: str | None) -> dict[str, str]:
    """The ids of a lock file's text (empty when there is none)."""
    if not text:
        return {}
    data = parse_yaml(text, LOCK_FILE)
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, dict):
        return {}
    return {str(k): str(v) for k, v in ids.items()}


def render_lock(ids: Mapping[str, str]) -> str:
    """The lock file's text: its format version and the ids sorted by path."""
    header = "# Generated by Trellis: stable ids of this package's metadata nodes.\n"
    body = {"lock_version": LOCK_VERSION, "ids": {p: ids[p] for p in sorted(ids)}}
    return header + canonical_yaml(body)


def assign_ids(
    nodes: list[Node],
    *,
    declared: Mapping[str, str] | None = None,
    previous: Mapping[str, str] | None = None,
    new_id: Callable[[str], str] = random_id,
) -> dict[str, str]:
    """The id of every node: from the package's own lock, the previous version (by path,
    then by ``renamed_from``), or new."""
    declared = declared or {}
    previous = previous or {}
    ids: dict[str, str] = {}
    used: set[str] = set()

    def take(path: str, candidate: str | None) -> bool:
        if candidate is None or candidate in used:
            return False
        ids[path] = candidate
        used.add(candidate)
        return True

    for node in nodes:
        take(node.path, declared.get(node.path))
    for node in nodes:
        if node.path not in ids:
            take(node.path, previous.get(node.path))
    for node in nodes:
        if node.path not in ids and node.renamed_from is not None:
            take(node.path, previous.get(node.renamed_from) or declared.get(node.renamed_from))
    for node in nodes:
        if node.path not in ids and not take(node.path, new_id(node.path)):
            while not take(node.path, random_id(node.path)):
                continue
    return ids


def lock_files(
    files: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
    *,
    new_id: Callable[[str], str] = random_id,
) -> dict[str, str]:
    """``files`` with a lock file holding the id of every node (see :func:`assign_ids`)."""
    declared = read_lock(files.get(LOCK_FILE))
    ids = assign_ids(package_nodes(files), declared=declared, previous=previous, new_id=new_id)
    return {**files, LOCK_FILE: render_lock(ids)}


def publish_files(files: Mapping[str, str], current: Mapping[str, str] | None) -> dict[str, str]:
    """The files a publish stores: ``files`` with a lock that keeps ``current``'s ids.

    A version published before locks existed gets the ids its exports showed (derived
    from node paths); nodes new to a tenant get random ones.
    """
    if current is not None and LOCK_FILE not in current:
        return lock_files(files, None, new_id=derived_id)
    return lock_files(files, read_lock(current.get(LOCK_FILE)) if current else None)


__all__ = [
    "LOCK_FILE",
    "Node",
    "assign_ids",
    "derived_id",
    "file_nodes",
    "lock_files",
    "package_nodes",
    "publish_files",
    "random_id",
    "read_lock",
    "render_lock",
]
