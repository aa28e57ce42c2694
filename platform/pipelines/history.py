"""Stage history: one ``_stage_history`` row per stay of a record in a pipeline stage.

Written after each save in the same transaction: a record created in a stage opens
a row; a stage change closes the open row (``left_at``) and opens the next one; a
delete closes the open row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.db.tables import STAGE_HISTORY_TABLE
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import SaveEvent


def pipeline_fields(app: CompiledApp) -> Mapping[str, tuple[str, ...]]:
    """Entity -> its fields of type ``pipeline``, for entities that have any."""
    found = {
        name: tuple(f.name for f in entity.fields.values() if f.type == FieldType.PIPELINE)
        for name, entity in app.model.entities.items()
    }
    return MappingProxyType({k: v for k, v in found.items() if v})


class StageHistoryHook:
    """Records when records enter and leave pipeline stages."""

    def __init__(self, table: sa.Table, fields: Mapping[str, tuple[str, ...]]) -> None:
        self.table = table
        self.fields = fields

    def before_write(self, event: SaveEvent) -> None:
        """Nothing before the write: history follows what was actually saved."""

    def after_write(self, event: SaveEvent) -> None:
        """Close and open history rows for every pipeline field that changed."""
        names = self.fields.get(event.entity.name)
        if not names:
            return
        record_id = int(event.record["id"])
        for name in names:
            new = event.record.get(name)
            old = event.old.get(name) if event.old is not None else None
            if event.op == "delete":
                self._close(event, record_id, name)
            elif event.op == "create" and new is not None:
                self._open(event, record_id, name, new)
            elif event.op == "update" and new != old:
                self._close(event, record_id, name)
                if new is not None:
                    self._open(event, record_id, name, new)

    def _close(self, event: SaveEvent, record_id: int, name: str) -> None:
        t = self.table
        event.ctx.conn.execute(
            t.update()
            .where(
                t.c.entity == event.entity.name,
                t.c.record_id == record_id,
                t.c.field == name,
                t.c.left_at.is_(None),
            )
            .values(left_at=event.ctx.now)
        )

    def _open(self, event: SaveEvent, record_id: int, name: str, stage: Any) -> None:
        now: datetime = event.ctx.now
        event.ctx.conn.execute(
            self.table.insert().values(
                entity=event.entity.name,
                record_id=record_id,
                field=name,
                stage=str(stage),
                entered_at=now,
                left_at=None,
                user_id=event.ctx.user_id,
            )
        )
        event.explain("stage", f"{event.entity.name}.{name}", f"entered '{stage}'")


def stage_history_hook(app: CompiledApp) -> StageHistoryHook | None:
    """The stage history hook of ``app``, or None when no entity has a pipeline field."""
    fields = pipeline_fields(app)
    if not fields:
        return None
    return StageHistoryHook(app.metadata.tables[STAGE_HISTORY_TABLE], fields)


__all__ = ["StageHistoryHook", "pipeline_fields", "stage_history_hook"]
