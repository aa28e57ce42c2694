"""What the application services return: plain domain values, never HTTP answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordBody:
    """One record as the caller may see it (JSON-ready values) and its version.

    ``replayed`` is true when a create with a known idempotency key returned the
    record first answered to that key instead of saving again.
    """

    record: dict[str, Any]
    version: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: the records, the cursor of the next page, the capped count."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    count: int | None
    count_exact: bool

    def as_json(self) -> dict[str, Any]:
        """The list body of DESIGN.md §13."""
        return {
            "items": self.items,
            "next_cursor": self.next_cursor,
            "count": self.count,
            "count_exact": self.count_exact,
        }


@dataclass(frozen=True, slots=True)
class ListArgs:
    """What a list asks for, as the user wrote it (each part parsed by the service)."""

    filter: str | None = None
    sort: str | None = None
    limit: str | None = None
    cursor: str | None = None
    fields: str | None = None
    expand: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> ListArgs:
        """The arguments named in a mapping such as a query string's parameters."""
        return cls(
            filter=params.get("filter") or None,
            sort=params.get("sort"),
            limit=params.get("limit"),
            cursor=params.get("cursor") or None,
            fields=params.get("fields"),
            expand=params.get("expand"),
        )


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's ``Idempotency-Key`` for a create and the exact request it came with."""

    key: str
    request: bytes


@dataclass(frozen=True, slots=True)
class ExportFile:
    """An exported file: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str
    #: How many records the file holds.
    rows: int


__all__ = ["ExportFile", "IdempotencyKey", "ListArgs", "Page", "RecordBody"]
