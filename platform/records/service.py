"""The record service: runs the declared save pipeline over the app's repository.

``create``, ``update``, ``delete`` and ``recompute`` each start a save and run its
steps (:mod:`trellis.platform.records.pipeline.sequences`); the SQL is the
repository's (:class:`RecordRepository`). The service is also the :class:`Saver`
the hooks get for the saves they cause (rule actions, rollups).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.hooks import BoundHook
from trellis.platform.records.lines import split_lines
from trellis.platform.records.pipeline.lines_step import ParentRollups
from trellis.platform.records.pipeline.sequences import (
    CREATE_LINES_STEPS,
    CREATE_STEPS,
    DELETE_STEPS,
    RECOMPUTE_STEPS,
    RESTORE_STEPS,
    ROLLUPS,
    STEP_NAMES,
    UPDATE_LINES_STEPS,
    UPDATE_STEPS,
    run_steps,
)
from trellis.platform.records.pipeline.state import HookTable, eval_context, start_save
from trellis.platform.records.repository import RecordRepository
from trellis.platform.records.save_checks import form_state
from trellis.platform.records.save_context import (
    MAX_CHAIN_DEPTH,
    Record,
    SaveContext,
    chained,
)
from trellis.rules.expr import EvalContext


class RecordService:
    """Creates, reads, updates and soft-deletes records of one compiled app."""

    def __init__(self, app: CompiledApp, hooks: Sequence[BoundHook] = ()) -> None:
        self.app = app
        self.hooks = tuple(hooks)
        self.repository = RecordRepository(app)
        self._table = HookTable.of(self.hooks, STEP_NAMES)

    # reads ------------------------------------------------------------------------
    def get(
        self,
        conn: sa.Connection,
        entity: CompiledEntity,
        record_id: int,
        *,
        for_update: bool = False,
    ) -> Record | None:
        """Return the live record ``record_id`` or None."""
        return self.repository.get(conn, entity, record_id, for_update=for_update)

    def eval_context(self, ctx: SaveContext) -> EvalContext:
        """The expression context for a save: clock, user and reference lookups."""
        return eval_context(self.repository, ctx)

    def form_state(
        self, ctx: SaveContext, entity: CompiledEntity, record: Mapping[str, Any]
    ) -> dict[str, dict[str, bool]]:
        """Whether each field is visible, required and read-only for ``record`` now."""
        return form_state(entity, record, self.eval_context(ctx))

    # writes -----------------------------------------------------------------------
    def create(self, ctx: SaveContext, entity: CompiledEntity, data: Mapping[str, Any]) -> Record:
        """Run the save pipeline for a new record and insert it.

        Raises:
            ForbiddenError: the principal may not create these records.
            ValidationFailedError: with every field error at once.
            RecordError: a hook refused the save.

        ``lines`` fields in ``data`` are saved with the record (see ``save_lines``).
        """
        lines: dict[str, Any] = {}
        if entity.entity.lines:
            data, lines = split_lines(entity.entity, data, creating=True)
        save = start_save(self.repository, self._table, ctx, entity, "create", data, self)
        save.lines = lines
        run_steps(CREATE_LINES_STEPS if lines else CREATE_STEPS, save)
        return save.event.record

    def update(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        record_id: int,
        data: Mapping[str, Any],
        expected_version: int | None,
    ) -> Record:
        """Apply a partial update with optimistic locking.

        Raises:
            ForbiddenError: the principal may not update these records.
            NotFoundError: no live record with that id (in the principal's scope).
            ConflictError: ``expected_version`` is not the stored version.
            ValidationFailedError: with every field error at once.
            RecordError: a hook refused the save.
        """
        lines: dict[str, Any] = {}
        if entity.entity.lines:
            data, lines = split_lines(entity.entity, data, creating=False)
        save = start_save(self.repository, self._table, ctx, entity, "update", data, self)
        save.record_id, save.expected_version = record_id, expected_version
        save.lines = lines
        run_steps(UPDATE_LINES_STEPS if lines else UPDATE_STEPS, save)
        return save.event.record

    def delete(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record (sets ``deleted_at``).

        Raises:
            ForbiddenError: the principal may not delete these records.
            NotFoundError: no live record with that id (in the principal's scope).
            ConflictError: ``expected_version`` is not the stored version.
        """
        save = start_save(self.repository, self._table, ctx, entity, "delete", {}, self)
        save.record_id, save.expected_version = record_id, expected_version
        run_steps(DELETE_STEPS, save)

    def restore(self, ctx: SaveContext, entity: CompiledEntity, record_id: int) -> Record:
        """Undelete a soft-deleted record through the save pipeline, with its cascade.

        The records ``on_delete: cascade`` deleted with it come back too, in the same
        transaction. Other features may call this (as a member, or as the system with
        ``chained``); the change row's source is ``restore``.

        Raises:
            ForbiddenError: the principal may not delete (so not restore) these records.
            NotFoundError: no deleted record with that id (in the principal's scope).
            ValidationFailedError: a reference names a record no longer live, or a unique
                value is taken meanwhile (422 naming the fields); nothing is changed.
            ConflictError: a record deleted with it cannot come back; nothing is changed.
        """
        save = start_save(self.repository, self._table, ctx, entity, "restore", {}, self)
        save.record_id = record_id
        run_steps(RESTORE_STEPS, save)
        return save.event.record

    def store_values(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, values: Mapping[str, Any]
    ) -> Record | None:
        """Store values the platform writes for the principal (a file field's metadata).

        The principal needs ``update`` on the record (403, 404 outside the scope); the
        values skip the client's coercion. Formulas, the write, the change row and the
        after-save hooks run as for an update. None when the record is gone.
        """
        save = start_save(self.repository, self._table, ctx, entity, "update", {}, self)
        save.record_id, save.values = record_id, dict(values)
        run_steps(RECOMPUTE_STEPS, save)
        return None if save.event.old is None else save.event.record

    def recompute(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, values: Mapping[str, Any]
    ) -> None:
        """Store computed ``values`` (e.g. rollups) on a record and recompute its formulas.

        Writes a new version and a change row only when something changed, then runs
        the after-write hooks so chains (a rollup of a rollup) stay correct. It runs
        as the system on behalf of the save that caused it.

        Raises:
            ConflictError: the chain of recomputations is deeper than ``MAX_CHAIN_DEPTH``.
        """

        def too_deep() -> str:
            return (
                f"Recomputing {entity.name} {record_id} went {MAX_CHAIN_DEPTH} levels deep; "
                "check for rollups that feed each other. Nothing was saved."
            )

        with chained(ctx, "rollup", too_deep):
            save = start_save(self.repository, self._table, ctx, entity, "update", {}, self)
            save.record_id, save.values = record_id, dict(values)
            run_steps(RECOMPUTE_STEPS, save)

    def flush_rollups(self, ctx: SaveContext) -> int:
        """Total the rollups of every parent ``ctx.deferred_rollups`` holds; how many.

        Parents are done in name and id order; a parent's new totals may defer its own
        parent's, which are done in the next round, until none is left.
        """
        done = 0
        while ctx.deferred_rollups:
            pending, ctx.deferred_rollups = sorted(ctx.deferred_rollups), set()
            for name, record_id in pending:
                entity = self.app.entities[name]
                save = start_save(self.repository, self._table, ctx, entity, "update", {}, self)
                values: dict[str, Any] = {}
                for hook in self._table.after.get(ROLLUPS, ()):
                    if isinstance(hook, ParentRollups):
                        values.update(hook.parent_values(save.event, record_id))
                if values:
                    self.recompute(ctx, entity, record_id, values)
                done += 1
        return done


__all__ = ["Record", "RecordService", "SaveContext"]
