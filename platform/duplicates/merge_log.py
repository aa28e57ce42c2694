"""The merge log: one ``_merges`` row per merge (what to undo) and ``_merged`` per loser."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.business_tables import MERGED_TABLE, MERGES_TABLE
from trellis.platform.records.compiled import CompiledApp


@dataclass(frozen=True, slots=True)
class Move:
    """A field of a record that pointed at a loser, with its value before the merge."""

    entity: str
    record_id: int
    field: str
    before: Any

    def as_json(self) -> list[Any]:
        """Stored as ``[entity, id, field, before]``."""
        return [self.entity, self.record_id, self.field, self.before]


@dataclass(frozen=True, slots=True)
class MergeEntry:
    """One merge as logged: who survived, who was merged in, and what changed."""

    id: int
    entity: str
    survivor_id: int
    losers: tuple[int, ...]
    survivor_before: Mapping[str, Any]
    moves: tuple[Move, ...]
    created_at: datetime
    created_by: int | None
    undone_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The merge as the API answers it."""
        return {
            "id": self.id,
            "entity": self.entity,
            "survivor": self.survivor_id,
            "losers": list(self.losers),
            "fields": sorted(self.survivor_before),
            "moved": len(self.moves),
            "created_at": self.created_at,
            "created_by": self.created_by,
            "undone_at": self.undone_at,
        }


def log_merge(
    conn: sa.Connection,
    app: CompiledApp,
    entry: MergeEntry,
) -> int:
    """Write ``entry`` (its id is ignored) and one ``_merged`` row per loser; the new id."""
    merges = app.metadata.tables[MERGES_TABLE]
    values = {
        "entity": entry.entity,
        "survivor_id": entry.survivor_id,
        "losers": json.dumps(list(entry.losers)),
        "survivor_before": json.dumps(dict(entry.survivor_before), default=str),
        "moves": json.dumps([m.as_json() for m in entry.moves], default=str),
        "created_at": entry.created_at,
        "created_by": entry.created_by,
    }
    inserted = conn.execute(sa.insert(merges).values(**values)).inserted_primary_key
    merge_id = int(inserted[0]) if inserted is not None else 0
    merged = app.metadata.tables[MERGED_TABLE]
    rows = [
        {
            "merge_id": merge_id,
            "entity": entry.entity,
            "record_id": loser,
            "merged_into": entry.survivor_id,
        }
        for loser in entry.losers
    ]
    conn.execute(sa.insert(merged), rows)
    return merge_id


def load_merge(
    conn: sa.Connection, app: CompiledApp, entity: str, merge_id: int
) -> MergeEntry | None:
    """The merge ``merge_id`` of ``entity``, or None."""
    merges = app.metadata.tables[MERGES_TABLE]
    query = sa.select(merges).where(merges.c.id == merge_id, merges.c.entity == entity)
    row = conn.execute(query).first()
    if row is None:
        return None
    m = row._mapping
    moves = tuple(Move(str(e), int(i), str(f), b) for e, i, f, b in json.loads(m["moves"]))
    return MergeEntry(
        id=int(m["id"]),
        entity=str(m["entity"]),
        survivor_id=int(m["survivor_id"]),
        losers=tuple(int(i) for i in json.loads(m["losers"])),
        survivor_before=json.loads(m["survivor_before"]),
        moves=moves,
        created_at=m["created_at"],
        created_by=m["created_by"],
        undone_at=m["undone_at"],
    )


def mark_undone(conn: sa.Connection, app: CompiledApp, merge_id: int, at: datetime) -> None:
    """Mark the merge undone and forget its losers' ``merged_into``."""
    merges = app.metadata.tables[MERGES_TABLE]
    conn.execute(sa.update(merges).where(merges.c.id == merge_id).values(undone_at=at))
    merged = app.metadata.tables[MERGED_TABLE]
    conn.execute(sa.delete(merged).where(merged.c.merge_id == merge_id))


def merged_into(
    conn: sa.Connection, app: CompiledApp, entity: str, ids: Collection[int]
) -> dict[int, int]:
    """``{loser id: survivor id}`` for those of ``ids`` merged into another record."""
    if not ids:
        return {}
    merged = app.metadata.tables[MERGED_TABLE]
    query = sa.select(merged.c.record_id, merged.c.merged_into).where(
        merged.c.entity == entity, merged.c.record_id.in_(sorted(ids))
    )
    return {int(r[0]): int(r[1]) for r in conn.execute(query)}


__all__ = ["MergeEntry", "Move", "load_merge", "log_merge", "mark_undone", "merged_into"]
