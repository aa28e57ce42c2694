"""The writes of a save besides the record row: autonumbers, the change log, locked updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldDef
from trellis.platform.db.counters import next_value
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.values import to_json


def next_number(app: CompiledApp, conn: sa.Connection, entity: CompiledEntity, f: FieldDef) -> str:
    """The next value of autonumber field ``f`` (its sequence moves in this transaction)."""
    value = next_value(conn, app.sequences, f"{entity.name}.{f.name}")
    pattern = f.autonumber_format or "{n}"
    return pattern.format(n=value)


def log_change(
    app: CompiledApp,
    ctx: SaveContext,
    entity: CompiledEntity,
    record_id: int,
    op: str,
    version: int,
    changes: Mapping[str, list[Any]],
) -> None:
    """Append the change row of one write: ``{field: [before, after]}`` as JSON."""
    fields = entity.entity.fields
    payload = {k: [to_json(v, fields.get(k)) for v in pair] for k, pair in changes.items()}
    ctx.conn.execute(
        app.changes.insert(),
        {
            "entity": entity.name,
            "record_id": record_id,
            "op": op,
            "at": ctx.now,
            "user_id": ctx.user_id,
            "version": version,
            "changes": payload,
        },
    )


def locked_update(table: sa.Table) -> sa.Update:
    """UPDATE of one live row at an expected version; values come as parameters."""
    return table.update().where(
        table.c.id == sa.bindparam("_id"),
        table.c.version == sa.bindparam("_version"),
        table.c.deleted_at.is_(None),
    )


__all__ = ["locked_update", "log_change", "next_number"]
