"""The save pipeline for records: check, default, compute, validate, write, log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.records.hooks import SaveEvent, SaveHook
from trellis.platform.records.save_checks import (
    check_conditions,
    check_references,
    check_unique,
    form_state,
    is_blank,
)
from trellis.platform.records.save_context import (
    MAX_CHAIN_DEPTH,
    Record,
    SaveContext,
    check_chain_depth,
)
from trellis.platform.records.storage import locked_update, log_change, next_number
from trellis.platform.records.validation import REQUIRED_MESSAGE, Errors
from trellis.platform.records.values import coerce_computed, float_precision_errors, to_json
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import inserted_id


class RecordService:
    """Creates, reads, updates and soft-deletes records of one compiled app."""

    def __init__(self, app: CompiledApp, hooks: Sequence[SaveHook] = ()) -> None:
        self.app = app
        self.hooks = tuple(hooks)

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
        t = entity.table
        query = sa.select(t).where(t.c.id == record_id, t.c.deleted_at.is_(None))
        if for_update and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        return dict(row._mapping) if row is not None else None

    def eval_context(self, ctx: SaveContext) -> EvalContext:
        """The expression context for a save: clock, user and reference lookups."""

        def resolve(entity_name: str, record_id: int) -> Mapping[str, Any] | None:
            key = (entity_name, record_id)
            if key not in ctx._refs:
                target = self.app.entities.get(entity_name)
                ctx._refs[key] = self.get(ctx.conn, target, record_id) if target else None
            return ctx._refs[key]

        return EvalContext(now=ctx.now, user_id=ctx.user_id, resolve=resolve)

    # writes -----------------------------------------------------------------------
    def create(self, ctx: SaveContext, entity: CompiledEntity, data: Mapping[str, Any]) -> Record:
        """Run the save pipeline for a new record and insert it.

        Raises:
            ValidationFailedError: with every field error at once.
            RecordError: a hook refused the save.
        """
        values, errors = self._check(ctx, entity, data)
        record: Record = dict.fromkeys(entity.entity.fields)
        record.update(values)
        event = SaveEvent(
            ctx, entity, "create", record, None, data, self.eval_context(ctx), ctx.trace, self
        )
        for name, default in entity.defaults.items():
            if name not in data and name not in errors:
                value = coerce_computed(
                    entity.entity.fields[name], default.evaluate(record, event.eval)
                )
                record[name] = value
                event.explain(
                    "default", name, "set", {name: to_json(value, entity.entity.fields[name])}
                )
        for f in entity.entity.fields.values():
            if (
                f.required
                and not f.computed
                and f.name not in errors
                and is_blank(record.get(f.name))
            ):
                errors.setdefault(f.name, []).append(REQUIRED_MESSAGE)
        check_references(self.app, ctx.conn, entity, values, errors)
        check_unique(ctx.conn, entity, values, None, errors)
        if errors:
            raise ValidationFailedError(errors)
        self._before_write(event)
        for f in entity.entity.fields.values():
            if f.type == FieldType.AUTONUMBER:
                record[f.name] = next_number(self.app, ctx.conn, entity, f)
        record.update(
            created_at=ctx.now,
            created_by=ctx.user_id,
            updated_at=ctx.now,
            updated_by=ctx.user_id,
            owner_id=record.get("owner_id") or values.get("owner_id", ctx.user_id),
            version=1,
            deleted_at=None,
        )
        # Values go as parameters, not into the statement: the compiled INSERT is then
        # reused from SQLAlchemy's cache instead of being rebuilt per record.
        result = ctx.conn.execute(entity.table.insert(), record)
        record["id"] = inserted_id(result)
        changes = {k: [None, record[k]] for k in entity.entity.fields if record[k] is not None}
        log_change(self.app, ctx, entity, record["id"], "create", 1, changes)
        event.explain("write", entity.name, "insert")
        self._after_write(event)
        return record

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
            NotFoundError: no live record with that id.
            ConflictError: ``expected_version`` is not the stored version.
            ValidationFailedError: with every field error at once.
            RecordError: a hook refused the save.
        """
        current = self.get(ctx.conn, entity, record_id, for_update=True)
        if current is None:
            raise NotFoundError(f"No {entity.name} with id {record_id}.")
        self._check_version(entity, current, expected_version)
        values, errors = self._check(ctx, entity, data)
        for key, value in values.items():
            f = entity.entity.fields.get(key)
            if f is not None and f.required and is_blank(value):
                errors.setdefault(key, []).append(REQUIRED_MESSAGE)
        changed = {k: v for k, v in values.items() if v != current.get(k)}
        check_references(self.app, ctx.conn, entity, changed, errors)
        check_unique(ctx.conn, entity, changed, record_id, errors)
        if errors:
            raise ValidationFailedError(errors)
        record = dict(current)
        record.update(values)
        event = SaveEvent(
            ctx, entity, "update", record, current, data, self.eval_context(ctx), ctx.trace, self
        )
        self._before_write(event)
        changes = {
            k: [current[k], record[k]]
            for k in entity.columns
            if k in record and record[k] != current[k]
        }
        version = int(current["version"]) + 1
        record.update(updated_at=ctx.now, updated_by=ctx.user_id, version=version)
        t = entity.table
        update_values = {k: record[k] for k in changes}
        update_values.update(updated_at=ctx.now, updated_by=ctx.user_id, version=version)
        update_values.update(_id=record_id, _version=current["version"])
        result = ctx.conn.execute(locked_update(t), update_values)
        if result.rowcount != 1:
            raise ConflictError(
                f"The {entity.name} was changed by someone else; reload it and try again.",
                current_version=self._current_version(ctx.conn, entity, record_id),
            )
        log_change(self.app, ctx, entity, record_id, "update", version, changes)
        event.explain("write", entity.name, "update")
        self._after_write(event)
        return record

    def recompute(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, values: Mapping[str, Any]
    ) -> None:
        """Store computed ``values`` (e.g. rollups) on a record and recompute its formulas.

        Writes a new version and a change row only when something changed, then runs
        the after-write hooks so chains (a rollup of a rollup) stay correct.

        Raises:
            ConflictError: the chain of recomputations is deeper than ``MAX_CHAIN_DEPTH``.
        """
        check_chain_depth(
            ctx,
            lambda: (
                f"Recomputing {entity.name} {record_id} went {MAX_CHAIN_DEPTH} levels deep; "
                "check for rollups that feed each other. Nothing was saved."
            ),
        )
        current = self.get(ctx.conn, entity, record_id, for_update=True)
        if current is None:
            return
        record = dict(current)
        record.update(values)
        event = SaveEvent(
            ctx, entity, "update", record, current, {}, self.eval_context(ctx), ctx.trace, self
        )
        self._compute(event)
        changes = {
            k: [current[k], record[k]] for k in entity.entity.fields if record[k] != current[k]
        }
        if not changes:
            return
        version = int(current["version"]) + 1
        update_values = {k: record[k] for k in changes}
        update_values.update(updated_at=ctx.now, version=version)
        update_values.update(_id=record_id, _version=current["version"])
        ctx.conn.execute(locked_update(entity.table), update_values)
        record.update(updated_at=ctx.now, version=version)
        log_change(self.app, ctx, entity, record_id, "update", version, changes)
        event.explain(
            "recompute",
            f"{entity.name} {record_id}",
            "updated",
            {k: to_json(v[1], entity.entity.fields.get(k)) for k, v in changes.items()},
        )
        ctx.depth += 1
        try:
            self._after_write(event)
        finally:
            ctx.depth -= 1

    @staticmethod
    def _check(
        ctx: SaveContext, entity: CompiledEntity, data: Mapping[str, Any]
    ) -> tuple[Record, Errors]:
        """The validator's values and errors, plus what this database cannot store."""
        values, errors = entity.validator.check(data)
        if ctx.conn.dialect.name == "sqlite":
            for name, messages in float_precision_errors(entity.entity.fields, values).items():
                errors.setdefault(name, []).extend(messages)
                values.pop(name)
        return values, errors

    def _before_write(self, event: SaveEvent) -> None:
        """Formulas, hooks (which may set fields), formulas again, then validation rules."""
        self._compute(event)
        if self.hooks:
            before = dict(event.record)
            for hook in self.hooks:
                hook.before_write(event)
            if event.record != before:
                self._compute(event)
        self._validate(event)

    def _after_write(self, event: SaveEvent) -> None:
        for hook in self.hooks:
            hook.after_write(event)

    def delete(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record (sets ``deleted_at``).

        Raises:
            NotFoundError: no live record with that id.
            ConflictError: ``expected_version`` is not the stored version.
        """
        current = self.get(ctx.conn, entity, record_id, for_update=True)
        if current is None:
            raise NotFoundError(f"No {entity.name} with id {record_id}.")
        self._check_version(entity, current, expected_version)
        event = SaveEvent(
            ctx,
            entity,
            "delete",
            dict(current),
            current,
            {},
            self.eval_context(ctx),
            ctx.trace,
            self,
        )
        for hook in self.hooks:
            hook.before_write(event)
        t = entity.table
        version = int(current["version"]) + 1
        result = ctx.conn.execute(
            locked_update(t),
            {
                "deleted_at": ctx.now,
                "updated_at": ctx.now,
                "updated_by": ctx.user_id,
                "version": version,
                "_id": record_id,
                "_version": current["version"],
            },
        )
        if result.rowcount != 1:
            raise ConflictError(f"The {entity.name} was changed by someone else.")
        log_change(
            self.app, ctx, entity, record_id, "delete", version, {"deleted_at": [None, ctx.now]}
        )
        event.record.update(deleted_at=ctx.now, version=version)
        self._after_write(event)

    # pipeline steps ---------------------------------------------------------------
    def _check_version(self, entity: CompiledEntity, current: Record, expected: int | None) -> None:
        if expected is not None and int(current["version"]) != expected:
            raise ConflictError(
                f"Version {expected} of this {entity.name} is out of date; the current "
                f"version is {current['version']}. Reload it and apply your change again.",
                current_version=int(current["version"]),
            )

    def _current_version(
        self, conn: sa.Connection, entity: CompiledEntity, record_id: int
    ) -> int | None:
        t = entity.table
        value = conn.execute(sa.select(t.c.version).where(t.c.id == record_id)).scalar()
        return int(value) if value is not None else None

    def _compute(self, event: SaveEvent) -> None:
        record, fields = event.record, event.entity.entity.fields
        for f, formula in event.entity.formulas:
            try:
                value = formula.evaluate(record, event.eval)
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                value = None
            value = coerce_computed(f, value)
            if event.trace is not None and value != record.get(f.name):
                event.explain(
                    "formula", f.name, "computed", {f.name: to_json(value, fields[f.name])}
                )
            record[f.name] = value

    def form_state(
        self, ctx: SaveContext, entity: CompiledEntity, record: Mapping[str, Any]
    ) -> dict[str, dict[str, bool]]:
        """Whether each field is visible, required and read-only for ``record`` now."""
        return form_state(entity, record, self.eval_context(ctx))

    def _validate(self, event: SaveEvent) -> None:
        errors: Errors = {}
        check_conditions(event, errors)
        for rule in event.entity.validations:
            failed = bool(rule.when.evaluate(event.record, event.eval))
            event.explain("validation", rule.when.source, "failed" if failed else "passed")
            if failed:
                errors.setdefault(rule.field or "__all__", []).append(rule.message)
        if errors:
            raise ValidationFailedError(errors)


__all__ = ["Record", "RecordService", "SaveContext"]
