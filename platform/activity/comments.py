"""Comments on records: plain text kept as written, rows in the tenant's ``_comments``.

A body is plain text: line breaks are kept, control characters dropped, and screens
escape everything when they show it (no markup is ever interpreted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import COMMENTS_TABLE
from trellis.platform.records.values import as_utc

#: Longest comment accepted, in characters.
MAX_BODY = 5000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANK_RUNS = re.compile(r"\n{3,}")


class CommentError(ValueError):
    """A comment cannot be saved (the message says why)."""


@dataclass(frozen=True, slots=True)
class Comment:
    """One stored comment."""

    id: int
    entity: str
    record_id: int
    user_id: int | None
    body: str
    #: ``[token, user_id]`` pairs of the mentions that named a member.
    mentions: list[list[Any]]
    at: datetime


def clean_body(text: str) -> str:
    """The comment text to store: line breaks unified, control characters removed.

    Raises:
        CommentError: nothing but white space is left, or the text is too long.
    """
    body = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    body = _CONTROL.sub("", body)
    body = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in body.split("\n")))
    body = body.strip("\n").strip()
    if not body:
        raise CommentError("Write something before posting a comment.")
    if len(body) > MAX_BODY:
        raise CommentError(
            f"A comment has at most {MAX_BODY} characters; this one has {len(body)}."
        )
    return body


def insert_comment(
    conn: sa.Connection,
    metadata: sa.MetaData,
    *,
    entity: str,
    record_id: int,
    user_id: int | None,
    body: str,
    mentions: list[list[Any]],
    at: datetime,
) -> int:
    """Insert a cleaned comment in the caller's transaction; its id."""
    table = metadata.tables[COMMENTS_TABLE]
    result = conn.execute(
        table.insert().values(
            entity=entity,
            record_id=record_id,
            user_id=user_id,
            body=body,
            mentions=mentions,
            at=at,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def comment_of(row: Any) -> Comment:
    """A ``_comments`` row as a :class:`Comment`."""
    return Comment(
        id=int(row["id"]),
        entity=str(row["entity"]),
        record_id=int(row["record_id"]),
        user_id=None if row["user_id"] is None else int(row["user_id"]),
        body=str(row["body"]),
        mentions=[list(pair) for pair in (row["mentions"] or [])],
        at=row["at"],
    )


def comment_json(comment: Comment) -> dict[str, Any]:
    """The JSON form of a comment."""
    return {
        "id": comment.id,
        "entity": comment.entity,
        "record_id": comment.record_id,
        "user_id": comment.user_id,
        "body": comment.body,
        "mentions": sorted({int(pair[1]) for pair in comment.mentions if len(pair) == 2}),
        "at": as_utc(comment.at).isoformat().replace("+00:00", "Z"),
    }


def list_comments(
    conn: sa.Connection,
    metadata: sa.MetaData,
    entity: str,
    record_id: int,
    *,
    limit: int,
    before_id: int | None = None,
) -> list[Comment]:
    """Comments on a record, newest first (``before_id`` pages further back)."""
    t = metadata.tables[COMMENTS_TABLE]
    query = (
        sa.select(t)
        .where(t.c.entity == entity, t.c.record_id == record_id)
        .order_by(t.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(t.c.id < before_id)
    return [comment_of(row._mapping) for row in conn.execute(query)]


__all__ = [
    "MAX_BODY",
    "Comment",
    "CommentError",
    "clean_body",
    "comment_json",
    "comment_of",
    "insert_comment",
    "list_comments",
]
