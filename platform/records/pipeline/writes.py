"""The steps that write: autonumbers, the row (insert, locked update, soft delete), the change row.

The SQL is the repository's; these steps decide what is written and in which version.
"""

from __future__ import annotations

from trellis.metadata.model import FieldType
from trellis.metadata.model.local_text import Translatable
from trellis.platform.db.tables import CHANGE_SOURCE_LENGTH
from trellis.platform.records.errors import ConflictError
from trellis.platform.records.pipeline.state import Save
from trellis.platform.records.principal import System
from trellis.platform.records.repository import ChangeRow
from trellis.platform.records.values import to_json
from trellis.platform.search.writer import index_record


def autonumbers(save: Save) -> None:
    """Give a new record the next value of each autonumber field."""
    record, conn = save.event.record, save.ctx.conn
    for f in save.entity.entity.fields.values():
        if f.type == FieldType.AUTONUMBER:
            record[f.name] = save.repo.next_number(conn, save.entity, f)


def insert(save: Save) -> None:
    """Insert the new record at version 1, owned by the caller unless told otherwise."""
    ctx, entity, record = save.ctx, save.entity, save.event.record
    record.update(
        created_at=ctx.now,
        created_by=ctx.user_id,
        updated_at=ctx.now,
        updated_by=ctx.user_id,
        owner_id=record.get("owner_id") or save.values.get("owner_id", ctx.user_id),
        version=1,
        deleted_at=None,
    )
    record["id"] = save.record_id = save.repo.insert(ctx.conn, entity, record)
    save.version = 1
    save.changes = {k: [None, record[k]] for k in entity.entity.fields if record[k] is not None}
    save.event.explain("write", entity.name, "insert")


def update(save: Save) -> None:
    """Write the changed columns if nobody changed the record meanwhile (409 otherwise)."""
    ctx, entity, record = save.ctx, save.entity, save.event.record
    current = save.event.old or {}
    save.changes = {
        k: [current[k], record[k]]
        for k in entity.columns
        if k in record and record[k] != current[k]
    }
    save.version = int(current["version"]) + 1
    stamp = {"updated_at": ctx.now, "updated_by": ctx.user_id, "version": save.version}
    record.update(stamp)
    values = {k: record[k] for k in save.changes} | stamp
    record_id = int(save.record_id or 0)
    if not save.repo.update_locked(ctx.conn, entity, record_id, int(current["version"]), values):
        raise ConflictError(
            f"The {entity.name} was changed by someone else; reload it and try again.",
            current_version=save.repo.current_version(ctx.conn, entity, record_id),
        )
    save.event.explain("write", entity.name, "update")


def soft_delete(save: Save) -> None:
    """Mark the record deleted (409 when it changed meanwhile)."""
    ctx, entity = save.ctx, save.entity
    current = save.event.old or {}
    version = int(current["version"])
    record_id = int(save.record_id or 0)
    deleted = save.repo.soft_delete(
        ctx.conn, entity, record_id, version, at=ctx.now, user_id=ctx.user_id
    )
    if not deleted:
        raise ConflictError(
            Translatable("The %(entity)s was changed by someone else.", entity=entity.name)
        )
    save.version = version + 1
    save.changes = {"deleted_at": [None, ctx.now]}
    save.event.record.update(deleted_at=ctx.now, version=save.version)


def store_computed(save: Save) -> None:
    """Store recomputed values (rollups, formulas) when any changed; else stop here.

    Only ``updated_at`` moves with them: nobody edited the record.
    """
    ctx, entity, record = save.ctx, save.entity, save.event.record
    current = save.event.old or {}
    save.changes = {
        k: [current[k], record[k]] for k in entity.entity.fields if record[k] != current[k]
    }
    if not save.changes:
        save.done = True
        return
    save.version = int(current["version"]) + 1
    values = {k: record[k] for k in save.changes}
    values.update(updated_at=ctx.now, version=save.version)
    record_id = int(save.record_id or 0)
    save.repo.update_locked(ctx.conn, entity, record_id, int(current["version"]), values)
    record.update(updated_at=ctx.now, version=save.version)


def change_row(save: Save) -> None:
    """Append the write's change row: who, when, which fields, before and after."""
    ctx, op = save.ctx, save.event.op
    source = ctx.principal.reason if isinstance(ctx.principal, System) else ctx.source
    if op == "restore":
        source = "restore"
    # A system principal's reason can be a sentence ("signed link unsubscribe #3").
    source = source[:CHANGE_SOURCE_LENGTH]
    row = ChangeRow(op, save.version, save.changes, at=ctx.now, user_id=ctx.user_id, source=source)
    save.repo.log_change(ctx.conn, save.entity, int(save.record_id or 0), row)
    # Every write ends here, so the search index follows each one in its transaction.
    index_record(ctx.conn, save.entity, int(save.record_id or 0), save.changes)


def explain_recompute(save: Save) -> None:
    """Explain what a recomputation stored (dry runs)."""
    fields = save.entity.entity.fields
    save.event.explain(
        "recompute",
        f"{save.entity.name} {save.record_id}",
        "updated",
        {k: to_json(v[1], fields.get(k)) for k, v in save.changes.items()},
    )


__all__ = [
    "autonumbers",
    "change_row",
    "explain_recompute",
    "insert",
    "soft_delete",
    "store_computed",
    "update",
]
