"""``on_delete: restrict`` and ``on_delete: set_null``: what a parent's delete does to children.

``restrict``: a parent that live records reference through such a field cannot be
deleted (409 naming the child entity and how many reference it; nothing changes).
``set_null``: the live children's reference is cleared through the save pipeline, as
the system on behalf of the delete (a change row each, source ``on_delete``). A restore
of the parent does not link them back. A reference without ``on_delete`` is left as it is.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import ConflictError
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.save_context import chained


class OnDeleteHook:
    """Refuses a delete ``restrict`` forbids; empties ``set_null`` references to the deleted."""

    def __init__(self, app: CompiledApp, links: dict[str, list[tuple[str, str, str]]]) -> None:
        self.app = app
        #: parent entity -> (child entity, reference field, restrict | set_null)
        self.links = links

    def before_write(self, event: SaveEvent) -> None:
        """Nothing before the write."""

    def after_write(self, event: SaveEvent) -> None:
        """On a delete: refuse it if restricted, else clear the ``set_null`` references."""
        links = self.links.get(event.entity.name)
        if event.op != "delete" or not links:
            return
        record_id = int(event.record["id"])
        conn = event.ctx.conn
        blockers = [
            (child, field, count)
            for child, field, rule in links
            if rule == "restrict"
            and (count := _count_live(conn, self.app.entities[child], field, record_id))
        ]
        if blockers:
            raise _restricted(event.entity, record_id, blockers, self.app)
        for child_name, field, rule in links:
            if rule == "set_null":
                self._clear(event, child_name, field, record_id)

    def _clear(self, event: SaveEvent, child_name: str, field: str, record_id: int) -> None:
        ctx, saver = event.ctx, event.saver
        if saver is None:
            return
        child = self.app.entities[child_name]
        for child_id in _live_ids(ctx.conn, child, field, record_id):
            with chained(ctx, "on_delete", lambda: _too_deep(event.entity.name, record_id)):
                saver.update(ctx, child, child_id, {field: None}, None)
            event.explain("on_delete", f"{child_name} {child_id}", f"{field} cleared")


def _live_ids(conn: sa.Connection, child: CompiledEntity, field: str, parent: int) -> list[int]:
    t = child.table
    query = sa.select(t.c.id).where(t.c[field] == parent, t.c.deleted_at.is_(None))
    return [int(r[0]) for r in conn.execute(query.order_by(t.c.id))]


def _count_live(conn: sa.Connection, child: CompiledEntity, field: str, parent: int) -> int:
    t = child.table
    query = sa.select(sa.func.count()).where(t.c[field] == parent, t.c.deleted_at.is_(None))
    return int(conn.execute(query).scalar_one())


def _restricted(
    parent: CompiledEntity,
    record_id: int,
    blockers: list[tuple[str, str, int]],
    app: CompiledApp,
) -> ConflictError:
    """The 409: which child entities still reference the parent, and how many of each."""
    parts = []
    for child, _field, count in blockers:
        entity = app.entities[child].entity
        noun = entity.label if count == 1 else entity.plural_label
        parts.append(f"{count} {noun.lower()}")
    label = parent.entity.label.lower()
    message = (
        f"The {label} {record_id} cannot be deleted: {', '.join(parts)} still reference it; "
        "delete or re-link them first. Nothing was changed."
    )
    referenced_by = [{"entity": c, "field": f, "count": n} for c, f, n in blockers]
    return ConflictError(message, {"__all__": [message]}, referenced_by=referenced_by)


def _too_deep(entity: str, record_id: int) -> str:
    return f"Deleting {entity} {record_id} changed too many records in a chain; nothing changed."


def on_delete_hook(app: CompiledApp) -> OnDeleteHook | None:
    """The hook of ``app``, or None when no reference declares ``restrict`` or ``set_null``."""
    links: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for child in app.entities.values():
        for f in child.entity.fields.values():
            rule = f.on_delete
            if f.to and rule in ("restrict", "set_null") and f.name in child.references:
                links[f.to].append((child.name, f.name, rule))
    return OnDeleteHook(app, dict(links)) if links else None


__all__ = ["OnDeleteHook", "on_delete_hook"]
