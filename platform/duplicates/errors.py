"""The errors a save raises when it duplicates live records (409 warn, 422 block)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trellis.platform.duplicates.candidates import Match
from trellis.platform.records.errors import ConflictError, RecordError, ValidationFailedError


class DuplicatesFoundError(ConflictError):
    """The record looks like live records (a ``warn`` rule); save again with ``allow_duplicate``."""

    def __init__(self, message: str, matches: Sequence[Match]) -> None:
        super().__init__(message, duplicates=[m.as_json() for m in matches])
        self.matches = tuple(matches)


class DuplicateBlockedError(ValidationFailedError):
    """The record duplicates live records under a ``block`` rule: never saved."""

    def __init__(self, errors: dict[str, list[str]], matches: Sequence[Match]) -> None:
        super().__init__(errors)
        self.matches = tuple(matches)
        self.extra["duplicates"] = [m.as_json() for m in matches]


def show_candidates(error: RecordError, candidates: list[dict[str, Any]]) -> None:
    """Replace the error's ``duplicates`` with the candidates the caller may see."""
    error.extra["duplicates"] = candidates


DuplicateError = DuplicatesFoundError | DuplicateBlockedError

__all__ = ["DuplicateBlockedError", "DuplicateError", "DuplicatesFoundError", "show_candidates"]
