"""A record's activity timeline: changes, comments and e-mails, newest first, in pages.

Every source answers the entries older than a :class:`Position` (time, source rank,
id), so pages never skip or repeat an entry even when several share a timestamp;
:func:`merge` takes the newest ``limit`` of all sources and the position to continue
from. Field changes come from the append-only ``_changes`` rows of the save
pipeline, minus the fields hidden from the viewer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.activity.comments import comment_of
from trellis.platform.db.tables import CHANGES_TABLE, COMMENTS_TABLE, DELIVERIES_TABLE
from trellis.platform.records.values import as_utc

#: Order of sources among entries with the same timestamp (higher is shown first).
#: Records of activity entities (``activity_fields:`` in metadata) rank from ``related`` up,
#: one rank per entity, so that a position names one entry.
RANKS = {"change": 0, "email": 1, "comment": 2, "related": 3}
MAX_PAGE = 100


class TimelineError(ValueError):
    """A timeline request is not valid (bad cursor or page size)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where an entry sits in the timeline: ``(at, rank, id)``, compared as a tuple."""

    at: datetime
    rank: int
    id: int

    def key(self) -> tuple[datetime, int, int]:
        """The sort key (newest first means descending)."""
        return (self.at, self.rank, self.id)

    def encode(self) -> str:
        """The opaque cursor text of this position."""
        return f"{self.at.isoformat()}~{self.rank}~{self.id}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """A position from its cursor text.

        Raises:
            TimelineError: the text is not a cursor of this timeline.
        """
        parts = text.split("~")
        try:
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                raise ValueError(text)
            at = datetime.fromisoformat(parts[0])
        except ValueError:
            raise TimelineError(f"Cursor '{text[:60]}' is not valid; reload the page.") from None
        return cls(as_utc(at), int(parts[1]), int(parts[2]))


@dataclass(slots=True)
class Entry:
    """One timeline entry; ``data`` depends on ``kind``."""

    kind: str
    at: datetime
    id: int
    user_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    #: The source's rank when it is not the kind's (one per activity entity).
    rank: int | None = None

    @property
    def position(self) -> Position:
        """The entry's place in the timeline."""
        rank = RANKS[self.kind] if self.rank is None else self.rank
        return Position(as_utc(self.at), rank, self.id)


@dataclass(frozen=True, slots=True)
class Page:
    """Entries of one page, newest first, and the cursor of the next page (or None)."""

    entries: list[Entry]
    next_cursor: str | None


def older(
    at: sa.ColumnElement[Any], ident: sa.ColumnElement[Any], rank: int, before: Position | None
) -> sa.ColumnElement[bool]:
    """SQL condition: rows of a source with ``rank`` that come after ``before``."""
    if before is None:
        return sa.true()
    if rank < before.rank:
        return at <= before.at
    if rank > before.rank:
        return at < before.at
    return sa.or_(at < before.at, sa.and_(at == before.at, ident < before.id))


def older_expression(before: Position | None, rank: int) -> str | None:
    """The same condition in the rule language, over ``created_at`` and ``id``."""
    if before is None:
        return None
    stamp = f'datetime("{before.at.isoformat()}")'
    if rank < before.rank:
        return f"created_at <= {stamp}"
    if rank > before.rank:
        return f"created_at < {stamp}"
    return f"(created_at < {stamp} or (created_at == {stamp} and id < {before.id}))"


def change_entries(
    conn: sa.Connection,
    metadata: sa.MetaData,
    entity: str,
    record_id: int,
    visible: Callable[[str], bool],
    before: Position | None,
    limit: int,
) -> list[Entry]:
    """Change rows of a record with only the fields ``visible`` allows.

    Updates that touched hidden fields only are left out; reads go on in batches
    until ``limit`` entries are found or the history ends.
    """
    t = metadata.tables[CHANGES_TABLE]
    out: list[Entry] = []
    cursor = before
    while len(out) < limit:
        rows = conn.execute(
            sa.select(t)
            .where(t.c.entity == entity, t.c.record_id == record_id)
            .where(older(t.c.at, t.c.id, RANKS["change"], cursor))
            .order_by(t.c.at.desc(), t.c.id.desc())
            .limit(limit)
        ).all()
        for row in rows:
            r = row._mapping
            changes = {k: v for k, v in (r["changes"] or {}).items() if visible(k)}
            cursor = Position(as_utc(r["at"]), RANKS["change"], int(r["id"]))
            if r["op"] == "update" and not changes:
                continue
            data = {"op": r["op"], "changes": changes, "version": r["version"]}
            out.append(Entry("change", r["at"], int(r["id"]), r["user_id"], data))
        if len(rows) < limit:
            break
    return out[:limit]


def comment_entries(
    conn: sa.Connection,
    metadata: sa.MetaData,
    entity: str,
    record_id: int,
    before: Position | None,
    limit: int,
) -> list[Entry]:
    """Comments on a record."""
    t = metadata.tables[COMMENTS_TABLE]
    rows = conn.execute(
        sa.select(t)
        .where(t.c.entity == entity, t.c.record_id == record_id)
        .where(older(t.c.at, t.c.id, RANKS["comment"], before))
        .order_by(t.c.at.desc(), t.c.id.desc())
        .limit(limit)
    )
    out = []
    for row in rows:
        comment = comment_of(row._mapping)
        data = {"body": comment.body, "mentions": comment.mentions}
        out.append(Entry("comment", comment.at, comment.id, comment.user_id, data))
    return out


def email_entries(
    conn: sa.Connection,
    metadata: sa.MetaData,
    entity: str,
    record_id: int,
    before: Position | None,
    limit: int,
) -> list[Entry]:
    """E-mail delivery attempts about a record (from the delivery log)."""
    t = metadata.tables[DELIVERIES_TABLE]
    rows = conn.execute(
        sa.select(t)
        .where(t.c.kind == "email", t.c.entity == entity, t.c.record_id == record_id)
        .where(older(t.c.at, t.c.id, RANKS["email"], before))
        .order_by(t.c.at.desc(), t.c.id.desc())
        .limit(limit)
    )
    out = []
    for row in rows:
        r = row._mapping
        data = {
            "to": r["target"],
            "subject": r["subject"],
            "status": r["status"],
            "error": r["error"],
            "attempt": r["attempt"],
        }
        out.append(Entry("email", r["at"], int(r["id"]), None, data))
    return out


def merge(sources: Iterable[list[Entry]], limit: int) -> Page:
    """The newest ``limit`` entries of all sources (each asked for ``limit + 1``)."""
    entries = sorted(
        (e for source in sources for e in source), key=lambda e: e.position.key(), reverse=True
    )
    page = entries[:limit]
    more = len(entries) > limit
    return Page(page, page[-1].position.encode() if more and page else None)


def page_size(raw: str | None, default: int = 20) -> int:
    """The page size from a query parameter.

    Raises:
        TimelineError: not a number from 1 to ``MAX_PAGE``.
    """
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise TimelineError(f"Parameter 'limit' has value '{raw[:20]}'. Use 1 to {MAX_PAGE}.")
    return int(raw)


__all__ = [
    "MAX_PAGE",
    "RANKS",
    "Entry",
    "Page",
    "Position",
    "TimelineError",
    "change_entries",
    "comment_entries",
    "email_entries",
    "merge",
    "older",
    "older_expression",
    "page_size",
]
