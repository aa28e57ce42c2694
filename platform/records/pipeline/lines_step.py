"""The ``lines`` step: a parent's lines saved in the parent's save, then its rollups.

It runs after the parent's row is written (a new parent has its id) and before its
validations, so a parent rule sees the totals of the lines as they will be stored.
Each line goes through the whole save pipeline of the line entity (coerce, defaults,
formulas, validations) on behalf of the parent's save; every line error is collected
and answered at once, named ``items[2].quantity``, and nothing is kept.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa

from trellis.metadata.model import POSITION_COLUMN
from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.errors import RecordError, ValidationFailedError
from trellis.platform.records.hooks import SaveEvent, Saver
from trellis.platform.records.lines import LineField, line_fields, stored_lines
from trellis.platform.records.pipeline.checks import compute
from trellis.platform.records.pipeline.state import Save
from trellis.platform.records.principal import Member, Principal
from trellis.platform.records.save_context import chained
from trellis.platform.records.validation import Errors
from trellis.platform.records.values import to_json

#: A line names its parent by being sent with it, never by its reference back.
SET_BY_PARENT = Translatable("A line belongs to the record it is sent with; leave this field out.")


@runtime_checkable
class ParentRollups(Protocol):
    """A hook that can total a parent's children now (the rollup hook)."""

    def parent_values(self, event: SaveEvent, parent_id: int) -> dict[str, Any]:
        """The parent's rollup values over its stored children, by field."""
        ...


def save_lines(save: Save) -> None:
    """Create, update and delete the lines sent, then store the parent's rollups.

    Raises:
        ValidationFailedError: any line is invalid, or names an id that is not one of
            this parent's lines (``items[1].id``); the caller's transaction rolls back.
    """
    if not save.lines:
        return
    saver, ctx = save.event.saver, save.ctx
    if saver is None:
        raise RecordError("Lines are saved through the record service.")
    parent_id = int(save.record_id or 0)
    errors: Errors = {}
    caller = ctx.principal
    outer, ctx.lines_parent = ctx.lines_parent, (save.entity.name, parent_id)
    try:
        with chained(ctx, "lines", lambda: "Lines went too deep; nothing was saved."):
            for field in line_fields(save.app, save.entity.entity):
                if field.lines.name in save.lines:
                    sent = save.lines[field.lines.name]
                    _save_field(save, saver, field, sent, caller, errors)
    finally:
        ctx.lines_parent = outer
    if errors:
        raise ValidationFailedError(errors)
    _store_rollups(save, parent_id)


def _save_field(
    save: Save,
    saver: Saver,
    field: LineField,
    sent: list[dict[str, Any]],
    caller: Principal,
    errors: Errors,
) -> None:
    ctx, parent_id, name = save.ctx, int(save.record_id or 0), field.lines.name
    stored = {int(row["id"]): row for row in stored_lines(ctx.conn, field, parent_id)}
    kept: set[int] = set()
    for index, line in enumerate(sent):
        prefix = f"{name}[{index}]"
        values = {k: v for k, v in line.items() if k != "id"}
        if field.parent_field in values:
            errors[f"{prefix}.{field.parent_field}"] = [SET_BY_PARENT]
            continue
        values[field.parent_field] = parent_id
        line_id = line.get("id")
        try:
            if isinstance(caller, Member):  # the line entity's hidden and read-only fields
                caller.access.check_write(field.child, values)
            if line_id is None:
                record = saver.create(ctx, field.child, values)
                line_id = int(record["id"])
            elif int(line_id) not in stored:
                errors[f"{prefix}.id"] = [
                    Translatable("This record has no line with id %(id)s.", id=line_id)
                ]
                continue
            else:
                kept.add(int(line_id))
                saver.update(ctx, field.child, int(line_id), values, None)
        except ValidationFailedError as failed:
            for key, messages in failed.errors.items():
                errors[prefix if key == "__all__" else f"{prefix}.{key}"] = messages
            continue
        if stored.get(int(line_id), {}).get(POSITION_COLUMN) != index:
            _place(save, field, int(line_id), index)
    for gone in sorted(set(stored) - kept):
        saver.delete(ctx, field.child, gone, None)


def _place(save: Save, field: LineField, line_id: int, index: int) -> None:
    t = field.child.table
    save.ctx.conn.execute(sa.update(t).where(t.c.id == line_id).values({POSITION_COLUMN: index}))


def _store_rollups(save: Save, parent_id: int) -> None:
    """Total the stored lines into the parent's rollups; its formulas follow.

    The parent's row was written by this save: the new values join that write (same
    version, same change row) instead of making another.
    """
    event = save.event
    values: dict[str, Any] = {}
    for hook in save.hooks.after.get("rollups", ()):
        if isinstance(hook, ParentRollups):
            values.update(hook.parent_values(event, parent_id))
    if not values:
        return
    before = dict(event.record)
    event.record.update(values)
    compute(save)
    old = event.old or {}
    written = {
        k: event.record[k] for k in save.entity.entity.fields if event.record[k] != before.get(k)
    }
    if not written:
        return
    save.repo.update_locked(save.ctx.conn, save.entity, parent_id, save.version, written)
    fields = save.entity.entity.fields
    for key, value in written.items():
        if old.get(key) == value:
            save.changes.pop(key, None)
        else:
            save.changes[key] = [old.get(key), value]
    shown = {k: to_json(v, fields[k]) for k, v in written.items()}
    event.explain("rollup", save.entity.name, "lines", shown)


__all__ = ["SET_BY_PARENT", "ParentRollups", "save_lines"]
