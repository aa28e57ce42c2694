"""Source positions carried by every compiled metadata object."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A 1-based line and column inside a file of an app package.

    ``indent`` is only set on the start of a YAML ``|`` block scalar: the block's
    indentation, which the text's later lines lose (not part of equality).
    """

    path: str
    line: int
    col: int
    indent: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def shifted(self, line_offset: int, col_offset: int) -> SourceSpan:
        """Return the position of a point inside this span's text.

        ``line_offset`` counts lines after this one; on the same line the
        column is ``col + col_offset``, on later lines ``indent + col_offset + 1``.
        """
        if line_offset == 0:
            return SourceSpan(self.path, self.line, self.col + col_offset)
        return SourceSpan(self.path, self.line + line_offset, self.indent + col_offset + 1)


UNKNOWN_SOURCE = SourceSpan("<unknown>", 1, 1)
