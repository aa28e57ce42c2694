"""The steps of a restore: a soft-deleted record made live again through the save pipeline.

A restore is authorised like a delete (the ``delete`` action and the record scope, on
the deleted row), then checked like a save: every reference must name a live record
and every unique value must still be free (422 naming the fields otherwise), formulas
are recomputed and validations run, before the row's ``deleted_at`` is cleared at a
new version and a change row (source ``restore``) is written. The after-write hooks
follow (rollups of the parents, rules, timers), and the records deleted with it by
``on_delete: cascade`` are restored by the cascade hook (platform/recycle).
"""

from __future__ import annotations

from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.errors import ConflictError, NotFoundError, ValidationFailedError
from trellis.platform.records.pipeline.state import Save, with_old
from trellis.platform.records.principal import Member, System
from trellis.platform.records.save_checks import check_references, check_unique

#: Said beside the fields when a restore would break a reference or a unique value.
NOT_RESTORABLE = (
    "This {label} cannot be restored as it was: restore or change what the fields below name first."
)


def authorize_restore(save: Save) -> None:
    """The ``delete`` action on the entity and the deleted record in scope (403, 404)."""
    ctx, entity = save.ctx, save.entity
    match ctx.principal:
        case System(reason=reason):
            save.event.explain("authorize", reason, "system")
        case Member(access=access):
            access.require(entity.name, "delete")
            record_id = int(save.record_id or 0)
            if not access.reachable(ctx.conn, entity, record_id, deleted=True):
                raise NotFoundError(
                    Translatable(
                        "No deleted %(entity)s with id %(id)s.", entity=entity.name, id=record_id
                    )
                )


def load_deleted(save: Save) -> None:
    """Read and lock the deleted record (404 when it is live, purged or never was)."""
    entity, record_id = save.entity, int(save.record_id or 0)
    current = save.repo.get_deleted(save.ctx.conn, entity, record_id)
    if current is None:
        raise NotFoundError(
            Translatable("No deleted %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
        )
    save.event.old = current
    save.event.eval = with_old(save.event.eval, current)
    save.event.record = dict(current)


def check_restorable(save: Save) -> None:
    """References must name live records and unique values be free (422 with each field)."""
    entity, record = save.entity, save.event.record
    errors: dict[str, list[str]] = {}
    conn = save.ctx.conn
    check_references(save.repo, conn, entity, record, errors)
    check_unique(save.repo, conn, entity, record, save.record_id, errors)
    if errors:
        label = entity.entity.label.lower()
        errors["__all__"] = [NOT_RESTORABLE.format(label=label)]
        raise ValidationFailedError(errors)


def write_restore(save: Save) -> None:
    """Clear ``deleted_at`` at a new version with recomputed values (409 when it moved)."""
    ctx, entity, record = save.ctx, save.entity, save.event.record
    current = save.event.old or {}
    changes = {k: [current[k], record[k]] for k in entity.entity.fields if record[k] != current[k]}
    save.version = int(current["version"]) + 1
    stamp = {"updated_at": ctx.now, "updated_by": ctx.user_id, "version": save.version}
    values = {k: record[k] for k in changes} | stamp
    record_id = int(save.record_id or 0)
    if not save.repo.undelete(ctx.conn, entity, record_id, int(current["version"]), values):
        raise ConflictError(
            Translatable(
                "The %(entity)s was changed by someone else; reload it.", entity=entity.name
            )
        )
    save.changes = {**changes, "deleted_at": [current["deleted_at"], None]}
    record.update(stamp, deleted_at=None)
    save.event.explain("write", entity.name, "restore")


__all__ = ["authorize_restore", "check_restorable", "load_deleted", "write_restore"]
