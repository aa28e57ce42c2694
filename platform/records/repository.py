"""The record SQL of one compiled app: reads for a save, inserts, locked updates, change rows.

Every statement the save pipeline runs on a record table, on ``_changes`` or on
``_sequences`` lives here; the pipeline's steps decide what to write, this module
how. Values go as parameters, not into the statement: the compiled INSERT and
UPDATE are then reused from SQLAlchemy's cache instead of being rebuilt per record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldDef, FieldType
from trellis.metadata.model.rich_text import plain_column, plain_text
from trellis.platform.db.counters import next_value
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.values import to_json
from trellis.tenants.registry import inserted_id

Record = dict[str, Any]


def _locked_update(table: sa.Table) -> sa.Update:
    """UPDATE of one live row at an expected version; values come as parameters."""
    return table.update().where(
        table.c.id == sa.bindparam("_id"),
        table.c.version == sa.bindparam("_version"),
        table.c.deleted_at.is_(None),
    )


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """What one write changed, as the change log stores it (who, when, which fields)."""

    op: str
    version: int
    changes: Mapping[str, list[Any]]
    at: datetime
    user_id: int | None


def with_plain_text(entity: CompiledEntity, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` and the plain text of each rich_text field among them (for search)."""
    out = dict(values)
    for name, f in entity.entity.fields.items():
        if f.type == FieldType.RICH_TEXT and name in values:
            html = values[name]
            out[plain_column(name)] = plain_text(html) if isinstance(html, str) else None
    return out


class RecordRepository:
    """Reads and writes the records of one compiled app (the tenant filter is the schema)."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app

    def get(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        record_id: int,
        *,
        for_update: bool = False,
    ) -> Record | None:
        """The live record ``record_id`` or None; ``for_update`` locks it (PostgreSQL)."""
        t = entity.table
        query = sa.select(t).where(t.c.id == record_id, t.c.deleted_at.is_(None))
        if for_update and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        return dict(row._mapping) if row is not None else None

    def get_for_update(
        self, conn: sa.Connection, entity: CompiledEntity, record_id: int
    ) -> Record | None:
        """The live record ``record_id``, locked until the transaction ends (or None)."""
        return self.get(conn, entity, record_id, for_update=True)

    def current_version(
        self, conn: sa.Connection, entity: CompiledEntity, record_id: int
    ) -> int | None:
        """The stored version of ``record_id`` (deleted or not), None when there is none."""
        t = entity.table
        value = conn.execute(sa.select(t.c.version).where(t.c.id == record_id)).scalar()
        return int(value) if value is not None else None

    def exists(self, conn: sa.Connection, entity_name: str, record_id: Any) -> bool:
        """Whether ``entity_name`` has a live record ``record_id``."""
        t = self.app.entities[entity_name].table
        query = sa.select(t.c.id).where(t.c.id == record_id, t.c.deleted_at.is_(None))
        return conn.execute(query).first() is not None

    def taken(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        name: str,
        value: Any,
        record_id: int | None,
    ) -> bool:
        """Whether another live record than ``record_id`` has ``value`` in field ``name``."""
        t = entity.table
        query = sa.select(t.c.id).where(t.c[name] == value, t.c.deleted_at.is_(None))
        if record_id is not None:
            query = query.where(t.c.id != record_id)
        return conn.execute(query.limit(1)).first() is not None

    def insert(self, conn: sa.Connection, entity: CompiledEntity, record: Record) -> int:
        """Insert ``record`` (every column given) and its links; its new id."""
        record_id = inserted_id(
            conn.execute(entity.table.insert(), with_plain_text(entity, record))
        )
        self._write_links(conn, entity, record_id, record)
        return record_id

    def missing_ids(self, conn: sa.Connection, entity_name: str, ids: list[int]) -> list[int]:
        """The ids among ``ids`` that name no live record of ``entity_name``, ascending."""
        t = self.app.entities[entity_name].table
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = sa.select(t.c.id).where(t.c.id.in_(chunk), t.c.deleted_at.is_(None))
            found.update(int(v) for v in conn.execute(query).scalars())
        return sorted(set(ids) - found)

    def _write_links(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        record_id: int,
        values: Mapping[str, Any],
        *,
        replace: bool = False,
    ) -> None:
        """Make the link tables hold the ids of the ``many_to_many`` fields in ``values``."""
        for name, link in entity.links.items():
            if name not in values:
                continue
            t = link.table
            if replace:
                conn.execute(t.delete().where(t.c.source_id == record_id))
            ids = values[name] or []
            if ids:
                conn.execute(t.insert(), [{"source_id": record_id, "target_id": i} for i in ids])

    def update_locked(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        record_id: int,
        version: int,
        values: Mapping[str, Any],
    ) -> bool:
        """Write ``values`` to live record ``record_id`` if it is still at ``version``.

        Returns whether the row was written (False: changed or deleted meanwhile).
        """
        params = {**with_plain_text(entity, values), "_id": record_id, "_version": version}
        written = conn.execute(_locked_update(entity.table), params).rowcount == 1
        if written and entity.links:
            self._write_links(conn, entity, record_id, values, replace=True)
        return written

    def soft_delete(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        record_id: int,
        version: int,
        *,
        at: datetime,
        user_id: int | None,
    ) -> bool:
        """Mark live record ``record_id`` at ``version`` deleted (its version moves on)."""
        values = {"deleted_at": at, "updated_at": at, "updated_by": user_id, "version": version + 1}
        return self.update_locked(conn, entity, record_id, version, values)

    def next_number(self, conn: sa.Connection, entity: CompiledEntity, f: FieldDef) -> str:
        """The next value of autonumber field ``f`` (its sequence moves in this transaction)."""
        value = next_value(conn, self.app.sequences, f"{entity.name}.{f.name}")
        pattern = f.autonumber_format or "{n}"
        return pattern.format(n=value)

    def log_change(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        record_id: int,
        change: ChangeRow,
    ) -> None:
        """Append the change row of one write: ``{field: [before, after]}`` as JSON."""
        fields = entity.entity.fields
        payload = {
            k: [to_json(v, fields.get(k)) for v in pair] for k, pair in change.changes.items()
        }
        conn.execute(
            self.app.changes.insert(),
            {
                "entity": entity.name,
                "record_id": record_id,
                "op": change.op,
                "at": change.at,
                "user_id": change.user_id,
                "version": change.version,
                "changes": payload,
            },
        )


__all__ = ["ChangeRow", "Record", "RecordRepository", "with_plain_text"]
