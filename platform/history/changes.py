"""A record's field history, newest first, in pages: who changed what, when and how.

Each item is one write: ``{"at", "user_id", "source", "changes": {field: [old, new]}}``
(``source``: api, form, import, rule, rollup, cascade, restore, merge …; null for
writes recorded before sources were). Fields ``visible`` refuses are left out, and a
write that changed only such fields is left out whole. The cursor is the last row
read, so pages never repeat or skip a write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.values import to_json

_PREFIX = "h"


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Items of one page, newest first, and the cursor of the next (None: no more)."""

    items: list[dict[str, Any]]
    next_cursor: str | None

    def as_json(self) -> dict[str, Any]:
        """The page as the API answers it."""
        return {"items": self.items, "next_cursor": self.next_cursor}


def parse_cursor(text: str | None) -> int | None:
    """The change row id a cursor continues before (None: from the newest).

    Raises:
        BadRequestError: not a cursor of this history (400 naming ``cursor``).
    """
    if text is None:
        return None
    body = text[len(_PREFIX) :] if text.startswith(_PREFIX) else ""
    if not (body.isascii() and body.isdigit()) or len(body) > 18:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise BadRequestError(
            "cursor is not valid.", {"cursor": [f"'{shown}' is not a cursor of this history."]}
        )
    return int(body)


def history_page(
    conn: sa.Connection,
    app: CompiledApp,
    entity: CompiledEntity,
    record_id: int,
    *,
    visible: Callable[[str], bool],
    before: int | None,
    limit: int,
) -> HistoryPage:
    """Up to ``limit`` writes of a record older than change row ``before``."""
    c = app.changes
    items: list[dict[str, Any]] = []
    cursor = before
    while True:
        query = sa.select(c.c.id, c.c.at, c.c.user_id, c.c.source, c.c.changes).where(
            c.c.entity == entity.name, c.c.record_id == record_id
        )
        if cursor is not None:
            query = query.where(c.c.id < cursor)
        rows = conn.execute(query.order_by(c.c.id.desc()).limit(limit + 1)).all()
        for index, row in enumerate(rows[:limit]):
            cursor = int(row.id)
            changes = {k: v for k, v in (row.changes or {}).items() if visible(k)}
            if changes:
                at = to_json(row.at, None)
                items.append(
                    {"at": at, "user_id": row.user_id, "source": row.source, "changes": changes}
                )
            if len(items) == limit:
                more = index < len(rows) - 1
                return HistoryPage(items, f"{_PREFIX}{cursor}" if more else None)
        if len(rows) <= limit:
            return HistoryPage(items, None)


__all__ = ["HistoryPage", "history_page", "parse_cursor"]
