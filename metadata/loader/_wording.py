"""How diagnostics name a place in a document and describe a value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trellis.metadata.loader.positions import NodePath

#: Top-level lists and maps whose entries read better with a noun: "field 'amount'".
_OWNERS = {
    "fields": "field",
    "validations": "validation",
    "indexes": "index",
    "stages": "stage",
    "states": "state",
    "transitions": "transition",
    "tiles": "tile",
}


def describe(path: NodePath) -> str:
    """Name the node at ``path`` for a message, or ``""`` for the document root.

    ``("fields", "amount", "options", 2)`` reads ``field 'amount': 'options' item 3``.
    """
    if not path:
        return ""
    head, rest = _owner(path)
    parts: list[str] = [head] if head else []
    keys: list[str] = []
    for segment in rest:
        if isinstance(segment, int):
            label = f"'{'.'.join(keys)}' item {segment + 1}" if keys else f"item {segment + 1}"
            parts.append(label)
            keys = []
        else:
            keys.append(segment)
    if keys:
        parts.append(f"'{'.'.join(keys)}'")
    if head and len(parts) > 1:
        return f"{head}: {' '.join(parts[1:])}"
    return " ".join(parts)


def _owner(path: NodePath) -> tuple[str, NodePath]:
    noun = _OWNERS.get(str(path[0])) if len(path) >= 2 else None
    if noun is None:
        return "", path
    key = path[1]
    name = f"{noun} {key + 1}" if isinstance(key, int) else f"{noun} '{key}'"
    return name, path[2:]


def subject(path: NodePath) -> str:
    """Like :func:`describe`, but the root reads ``the document``."""
    return describe(path) or "the document"


def show(value: Any) -> str:
    """A short rendering of a YAML value: quoted text, ``true``, ``12``."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return str(value)


def kind_of(value: Any) -> str:
    """Describe what a value is, for "got …" in messages."""
    if isinstance(value, bool):
        return f"boolean {show(value)}"
    if isinstance(value, str):
        return f"text {show(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    if isinstance(value, (dt.date, dt.datetime)):
        return f"date {value.isoformat()}"
    return type(value).__name__
