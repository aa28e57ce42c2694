"""Where every key and value of a loaded YAML document sits in its file.

A node is addressed by its *path* from the document root: a tuple of mapping keys
(``str``) and list indexes (``int``), e.g. ``("fields", "amount", "type")``. The same
address can be written as a JSON pointer (``/fields/amount/type``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from trellis.metadata.model import SourceSpan

#: Address of a node inside a document: mapping keys and list indexes.
NodePath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class NodePosition:
    """Positions of one node, all 1-based.

    ``value`` is the node's first character (an opening quote, ``|``, ``[`` or ``{``
    included); ``content`` is the first character of a scalar's text (after the
    opening quote; the line after a ``|``/``>`` header, at the block's indentation,
    which ``content.indent`` also holds), equal to ``value`` for collections; ``key``
    is the entry's key when the node is a mapping value.

    ``content.shifted(line, col)`` maps a point of the scalar's text back into the
    file exactly for plain and quoted one-line scalars and for ``|`` blocks; folded
    (``>``, multi-line plain or quoted) scalars and escapes are exact on their first
    line only.
    """

    value: SourceSpan
    content: SourceSpan
    key: SourceSpan | None = None

    @property
    def anchor(self) -> SourceSpan:
        """The key when there is one, else the value: where to point at the entry."""
        return self.key or self.value


def to_pointer(path: NodePath) -> str:
    """Render ``path`` as a JSON pointer (RFC 6901)."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "".join("/" + p for p in parts)


class PositionMap(Mapping[NodePath, NodePosition]):
    """Read-only table ``path -> NodePosition`` for one document."""

    __slots__ = ("_path", "_table")

    def __init__(self, path: str, table: Mapping[NodePath, NodePosition]) -> None:
        self._path = path
        self._table = dict(table)

    @property
    def path(self) -> str:
        """The file path used in every span of this table."""
        return self._path

    def __getitem__(self, key: NodePath) -> NodePosition:
        return self._table[key]

    def __iter__(self) -> Iterator[NodePath]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def by_pointer(self, pointer: str) -> NodePosition:
        """Return the position of the node at JSON pointer ``pointer``.

        Raises:
            KeyError: when no node has that address.
        """
        for path, position in self._table.items():
            if to_pointer(path) == pointer:
                return position
        raise KeyError(pointer)

    def nearest(self, path: NodePath) -> NodePosition:
        """Position of ``path``, or of its closest existing ancestor."""
        for end in range(len(path), -1, -1):
            found = self._table.get(path[:end])
            if found is not None:
                return found
        start = SourceSpan(self._path, 1, 1)
        return NodePosition(start, start)

    def anchor(self, path: NodePath) -> SourceSpan:
        """Where to point at the entry ``path``: its key, else its value."""
        return self.nearest(path).anchor

    def value(self, path: NodePath) -> SourceSpan:
        """The first character of the value at ``path`` (or its nearest ancestor)."""
        return self.nearest(path).value

    def content(self, path: NodePath) -> SourceSpan:
        """The first character of the scalar text at ``path`` (or its nearest ancestor)."""
        return self.nearest(path).content
