"""``lines`` fields: child records edited and saved inline with their parent."""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: The YAML spelling of the type (``items: {type: lines, entity: invoice_line}``).
LINES_TYPE = "lines"
#: The column schema sync adds to a line entity's table: the line's place in its parent.
POSITION_COLUMN = "line_position"


@dataclass(frozen=True, slots=True)
class LinesDef:
    """One ``lines`` field of a parent entity.

    ``entity`` is the line (child) entity and ``parent_field`` its reference back to
    the parent (named in YAML or found by the loader). ``min``/``max`` bound how many
    lines a parent may hold.
    """

    name: str
    entity: str
    label: str
    parent_field: str | None = None
    min: int | None = None
    max: int | None = None
    required: bool = False
    source: SourceSpan = UNKNOWN_SOURCE

    @property
    def fewest(self) -> int:
        """How many lines a parent needs at least (``required`` means one)."""
        return max(self.min or 0, 1 if self.required else 0)


__all__ = ["LINES_TYPE", "POSITION_COLUMN", "LinesDef"]
