"""The candidates a caller is shown when a save duplicates live records."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from trellis.platform.duplicates.errors import DuplicateError, show_candidates
from trellis.platform.records.compiled import CompiledEntity

Titles = Callable[[CompiledEntity, Collection[int]], dict[int, str]]


def present_candidates(error: DuplicateError, entity: CompiledEntity, titles: Titles) -> None:
    """Keep the matches the caller may read, each with its title (others are not revealed).

    ``titles`` answers the titles of the in-scope, live records among the ids.
    """
    shown = titles(entity, [m.record_id for m in error.matches])
    candidates: list[dict[str, Any]] = []
    for match in error.matches:
        if match.record_id in shown:
            candidates.append({**match.as_json(), "title": shown[match.record_id]})
    show_candidates(error, candidates)


__all__ = ["present_candidates"]
