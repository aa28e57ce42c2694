"""``on_delete: cascade``: children deleted with their parent, and restored with it.

When a record is soft-deleted, every live record that references it through a field
declared ``on_delete: cascade`` is soft-deleted too, through the save pipeline, as the
system on behalf of the delete (source ``cascade``); a grandchild follows its child.
Each one is written to ``_cascades`` under the record the user deleted (the root), so
restoring the root brings back exactly what went with it, in the order it went.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.db.tables import CASCADES_TABLE
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ConflictError, ValidationFailedError
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.save_context import SaveContext, chained


class CascadeLog:
    """The ``_cascades`` rows of one app: what was deleted with which root."""

    def __init__(self, app: CompiledApp) -> None:
        self.table = app.metadata.tables[CASCADES_TABLE]

    def add(
        self, conn: sa.Connection, root: tuple[str, int], entity: str, record_id: int, at: datetime
    ) -> None:
        """Note that ``entity`` ``record_id`` was deleted with ``root``."""
        values = {"root_entity": root[0], "root_id": root[1], "entity": entity}
        conn.execute(self.table.insert(), {**values, "record_id": record_id, "at": at})

    def of(self, conn: sa.Connection, root: tuple[str, int]) -> list[tuple[str, int]]:
        """What was deleted with ``root``, in the order it was deleted."""
        t = self.table
        rows = conn.execute(
            sa.select(t.c.entity, t.c.record_id)
            .where(t.c.root_entity == root[0], t.c.root_id == root[1])
            .order_by(t.c.id)
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    def forget(self, conn: sa.Connection, entity: str, record_id: int) -> None:
        """Drop the rows of a root, and the row naming the record as deleted with another."""
        t = self.table
        conn.execute(
            t.delete().where(
                sa.or_(
                    sa.and_(t.c.root_entity == entity, t.c.root_id == record_id),
                    sa.and_(t.c.entity == entity, t.c.record_id == record_id),
                )
            )
        )


class CascadeHook:
    """Deletes and restores the records ``on_delete: cascade`` ties to the saved one."""

    def __init__(self, app: CompiledApp) -> None:
        self.app = app
        self.log = CascadeLog(app)
        #: parent entity -> (child entity, reference field) declared ``on_delete: cascade``
        self.children: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for child in app.entities.values():
            for f in child.entity.fields.values():
                if f.to and f.on_delete == "cascade" and f.name in child.references:
                    self.children[f.to].append((child.name, f.name))

    def before_write(self, event: SaveEvent) -> None:
        """Nothing before the write."""

    def after_write(self, event: SaveEvent) -> None:
        """Cascade a delete to live children; bring back what a restored root took along."""
        if event.op == "delete":
            self._delete_children(event)
        elif event.op == "restore":
            self._restore_taken(event)

    def _delete_children(self, event: SaveEvent) -> None:
        ctx, saver = event.ctx, event.saver
        links = self.children.get(event.entity.name)
        if not links or saver is None:
            return
        record_id = int(event.record["id"])
        root = ctx.cascade_root or (event.entity.name, record_id)
        for child_name, field in links:
            child = self.app.entities[child_name]
            for child_id in _live_children(ctx.conn, child, field, record_id):
                # Logged before its own cascade runs: restores go parent before child.
                self.log.add(ctx.conn, root, child_name, child_id, ctx.now)
                with chained(ctx, "cascade", lambda: _too_deep(event.entity.name, record_id)):
                    previous, ctx.cascade_root = ctx.cascade_root, root
                    try:
                        saver.delete(ctx, child, child_id, None)
                    finally:
                        ctx.cascade_root = previous
                event.explain("cascade", f"{child_name} {child_id}", "deleted")

    def _restore_taken(self, event: SaveEvent) -> None:
        ctx, saver = event.ctx, event.saver
        record_id = int(event.record["id"])
        name = event.entity.name
        taken = self.log.of(ctx.conn, (name, record_id))
        self.log.forget(ctx.conn, name, record_id)
        if saver is None:
            return
        for child_name, child_id in taken:
            child = self.app.entities.get(child_name)
            if child is None or not _is_deleted(ctx, child, child_id):
                continue  # gone from the app, purged, or restored on its own meanwhile
            with chained(ctx, "cascade", lambda: _too_deep(name, record_id)):
                try:
                    saver.restore(ctx, child, child_id)
                except ValidationFailedError as exc:
                    raise _blocked(child, child_id, exc) from None
            event.explain("cascade", f"{child_name} {child_id}", "restored")


def _live_children(
    conn: sa.Connection, child: CompiledEntity, field: str, parent_id: int
) -> list[int]:
    t = child.table
    query = sa.select(t.c.id).where(t.c[field] == parent_id, t.c.deleted_at.is_(None))
    return [int(r[0]) for r in conn.execute(query.order_by(t.c.id))]


def _is_deleted(ctx: SaveContext, entity: CompiledEntity, record_id: int) -> bool:
    t = entity.table
    query = sa.select(t.c.id).where(t.c.id == record_id, t.c.deleted_at.is_not(None))
    return ctx.conn.execute(query).first() is not None


def _too_deep(entity: str, record_id: int) -> str:
    return Translatable(
        "Deleting or restoring %(entity)s %(id)s cascaded too many levels deep; "
        "nothing was changed.",
        entity=entity,
        id=record_id,
    )


def _blocked(child: CompiledEntity, child_id: int, exc: ValidationFailedError) -> ConflictError:
    """A 409 naming the record deleted with this one that cannot come back, and why."""
    fields = {k: v for k, v in exc.errors.items() if k != "__all__"}
    reasons = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
    return ConflictError(
        Translatable(
            "The %(label)s %(id)s deleted with this record cannot be restored (%(reasons)s); "
            "nothing was changed.",
            label=child.entity.label.lower(),
            id=child_id,
            reasons=reasons or Translatable("it is not valid"),
        ),
        {"__all__": [f"{child.name} {child_id}: {reasons or 'not valid'}"]},
    )


def cascade_hook(app: CompiledApp) -> CascadeHook:
    """The cascade hook of ``app`` (always bound: restores read what was logged before)."""
    return CascadeHook(app)


__all__ = ["CascadeHook", "CascadeLog", "cascade_hook"]
