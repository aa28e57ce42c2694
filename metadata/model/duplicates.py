"""Duplicate rules of an entity: the ``duplicates:`` list of its file (docs/duplicates.md)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan


class DuplicateMatch(enum.StrEnum):
    """How a rule compares records: equal normalised values, or similar names."""

    EXACT = "exact"
    FUZZY = "fuzzy"


class DuplicateAction(enum.StrEnum):
    """What a save that matches does: ask to confirm (409 unless allowed), or refuse."""

    WARN = "warn"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class BlockingKey:
    """A field whose normalised value (or its first ``prefix`` characters) groups records."""

    field: str
    prefix: int | None = None


@dataclass(frozen=True, slots=True)
class DuplicateRuleDef:
    """One rule: records whose ``fields`` match (exactly, or above ``threshold``) are duplicates.

    Records are only compared inside a block: the same values of the ``blocking`` keys
    (an exact rule's blocking key is its own fields).
    """

    name: str
    match: DuplicateMatch
    fields: tuple[str, ...]
    action: DuplicateAction = DuplicateAction.WARN
    threshold: float = 1.0
    blocking: tuple[BlockingKey, ...] = ()
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["BlockingKey", "DuplicateAction", "DuplicateMatch", "DuplicateRuleDef"]
