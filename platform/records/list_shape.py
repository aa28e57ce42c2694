"""The shape of a list query: which of the entity's own fields its filter compares, and how,
and its sort — never a value, so nothing a user typed is kept.

The shape is what an index could serve: fields compared for equality (``==``, ``in``,
``is empty``), by range (``<``, ``>=``, …), by prefix (``starts_with``) or by a text match
no B-tree serves (``contains``, ``ends_with``). Only the conditions joined by ``and`` at the
top of the filter count; an ``or``, a ``not`` or a path through a reference is not indexable
on this entity's table and is left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from trellis.platform.records.query import SortKey
from trellis.rules.expr import typed as t


@dataclass(frozen=True, slots=True)
class ListShape:
    """Field names by how the filter uses them (each sorted), then the sort keys in order
    (``-name`` for descending)."""

    equal: tuple[str, ...] = ()
    range: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    sort: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing an index could serve: no field compared, no sort."""
        return not (self.equal or self.range or self.prefix or self.text or self.sort)

    def key(self) -> str:
        """A canonical text of the shape (stored; equal shapes give equal keys)."""
        parts = {
            "equal": self.equal,
            "range": self.range,
            "prefix": self.prefix,
            "text": self.text,
            "sort": self.sort,
        }
        return json.dumps({k: list(v) for k, v in parts.items() if v}, separators=(",", ":"))

    @classmethod
    def from_key(cls, text: str) -> ListShape:
        """The shape a stored key names (unknown parts are ignored)."""
        data = json.loads(text)

        def names(part: str) -> tuple[str, ...]:
            value = data.get(part) if isinstance(data, dict) else None
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        return cls(names("equal"), names("range"), names("prefix"), names("text"), names("sort"))


def list_shape(tree: t.Node | None, sort: Sequence[SortKey]) -> ListShape:
    """The shape of a list filtered by ``tree`` (None: no filter) and sorted by ``sort``."""
    found: dict[str, set[str]] = {"equal": set(), "range": set(), "prefix": set(), "text": set()}
    for condition in _conjuncts(tree):
        kind, column = _classify(condition)
        if kind is not None and column is not None:
            found[kind].add(column)
    return ListShape(
        equal=tuple(sorted(found["equal"])),
        range=tuple(sorted(found["range"] - found["equal"])),
        prefix=tuple(sorted(found["prefix"])),
        text=tuple(sorted(found["text"])),
        sort=tuple(f"-{k.name}" if k.descending else k.name for k in sort),
    )


def _conjuncts(node: t.Node | None) -> Iterator[t.Node]:
    if node is None:
        return
    if isinstance(node, t.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _own_column(node: Any) -> str | None:
    """The column of a field of the list's own entity (no reference hop), else None."""
    if isinstance(node, t.Field) and not node.hops:
        return node.column
    return None


def _classify(node: t.Node) -> tuple[str | None, str | None]:
    """(how, column) for an indexable condition on one own field; (None, None) otherwise."""
    if isinstance(node, t.Equal) and not node.negated:
        return "equal", _one_side(node.left, node.right)
    if isinstance(node, t.InValues) and not node.negated:
        return "equal", _own_column(node.element)
    if isinstance(node, t.IsEmpty) and not node.negated:
        return "equal", _own_column(node.operand)
    if isinstance(node, t.Compare):
        return "range", _one_side(node.left, node.right)
    if isinstance(node, t.TextMatch):
        how = "prefix" if node.op == "starts_with" else "text"
        return how, _own_column(node.left)
    return None, None


def _one_side(left: Any, right: Any) -> str | None:
    """The own field compared with something that is not a field (a value, ``now()``)."""
    a, b = _own_column(left), _own_column(right)
    if a is not None and not isinstance(right, t.Field):
        return a
    if b is not None and not isinstance(left, t.Field):
        return b
    return None


__all__ = ["ListShape", "list_shape"]
