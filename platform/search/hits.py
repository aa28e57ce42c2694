"""One search result as the API and the screens show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A record found: entity, id, title, rank (higher is better) and a snippet.

    ``snippet`` is HTML: the field's text escaped, the matched words in ``<mark>``.
    """

    entity: str
    id: int
    title: str
    rank: float
    snippet: str | None
    field: str | None

    def as_json(self) -> dict[str, Any]:
        """``{"entity", "id", "title", "rank", "snippet", "field"}``."""
        return {
            "entity": self.entity,
            "id": self.id,
            "title": self.title,
            "rank": self.rank,
            "snippet": self.snippet,
            "field": self.field,
        }


__all__ = ["SearchHit"]
