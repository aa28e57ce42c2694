"""Record ids from text: an id that cannot exist is a 404, never a 400 or a database error."""

from __future__ import annotations

from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.errors import NotFoundError


def parse_id(entity: str, text: str) -> int:
    """Parse a record id from the path; an id that cannot exist is a 404."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > 2**63 - 1:
        raise NotFoundError(Translatable("No %(entity)s with id %(id)s.", entity=entity, id=text))
    return int(text)


__all__ = ["parse_id"]
