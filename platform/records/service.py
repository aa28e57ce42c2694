"""The save pipeline for records: check, default, compute, validate, write, log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FIELD_TYPES, DslType, FieldDef
from trellis.platform.db.counters import next_value
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.records.hooks import SaveEvent, SaveHook, TraceStep
from trellis.platform.records.validation import REQUIRED_MESSAGE, Errors
from trellis.platform.records.values import (
    float_precision_errors,
    to_decimal,
    to_integer,
    to_json,
)
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import inserted_id

Record = dict[str, Any]
#: Longest chain of saves one request may cause (rollups of rollups, rule actions).
MAX_CHAIN_DEPTH = 10


@dataclass(slots=True)
class SaveContext:
    """Who saves, when, and a per-request cache of referenced records."""

    conn: sa.Connection
    user_id: int | None
    now: datetime
    #: Steps of the save, collected when a dry run asks for an explanation.
    trace: list[TraceStep] | None = None
    #: How many chained saves (rollups, rule actions) led to the current one.
    depth: int = 0
    #: The caller's roles (workflow transitions allowed to some roles check them).
    roles: tuple[str, ...] = ()
    _refs: dict[tuple[str, int], Record | None] = field(default_factory=dict)


def _coerce_computed(f: FieldDef, value: Any) -> Any:
    """Fit a computed value to its field's type; values that do not fit become empty."""
    if value is None:
        return None
    spec = FIELD_TYPES[f.type]
    try:
        if spec.decimal:
            return to_decimal(value, f)
        if f.type in ("integer", "user", "reference"):
            whole = value.to_integral_value(ROUND_DOWN) if isinstance(value, Decimal) else value
            return to_integer(whole if isinstance(whole, Decimal) else int(whole), f)
        if f.type == "boolean":
            return bool(value)
        if f.type == "date" and isinstance(value, date):
            return value if not isinstance(value, datetime) else value.date()
        if spec.dsl_type is DslType.TEXT:
            return str(value) if not isinstance(value, Decimal) else format(value, "f")
    except (ValueError, ArithmeticError):
        return None
    return value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


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
                value = _coerce_computed(
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
                and _is_blank(record.get(f.name))
            ):
                errors.setdefault(f.name, []).append(REQUIRED_MESSAGE)
        self._check_references(ctx, entity, values, errors)
        self._check_unique(ctx, entity, values, None, errors)
        if errors:
            raise ValidationFailedError(errors)
        self._before_write(event)
        for f in entity.entity.fields.values():
            if f.type == "autonumber":
                record[f.name] = self._next_number(ctx.conn, entity, f)
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
        self._log(ctx, entity, record["id"], "create", 1, changes)
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
            if f is not None and f.required and _is_blank(value):
                errors.setdefault(key, []).append(REQUIRED_MESSAGE)
        changed = {k: v for k, v in values.items() if v != current.get(k)}
        self._check_references(ctx, entity, changed, errors)
        self._check_unique(ctx, entity, changed, record_id, errors)
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
        result = ctx.conn.execute(_locked_update(t), update_values)
        if result.rowcount != 1:
            raise ConflictError(
                f"The {entity.name} was changed by someone else; reload it and try again.",
                current_version=self._current_version(ctx.conn, entity, record_id),
            )
        self._log(ctx, entity, record_id, "update", version, changes)
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
        if ctx.depth >= MAX_CHAIN_DEPTH:
            raise ConflictError(
                f"Recomputing {entity.name} {record_id} went {MAX_CHAIN_DEPTH} levels deep; "
                "check for rollups that feed each other. Nothing was saved."
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
        ctx.conn.execute(_locked_update(entity.table), update_values)
        record.update(updated_at=ctx.now, version=version)
        self._log(ctx, entity, record_id, "update", version, changes)
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
            _locked_update(t),
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
        self._log(ctx, entity, record_id, "delete", version, {"deleted_at": [None, ctx.now]})
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

    def _check_references(
        self, ctx: SaveContext, entity: CompiledEntity, values: Mapping[str, Any], errors: Errors
    ) -> None:
        for name, target_name in entity.references.items():
            ref = values.get(name)
            if ref is None or name in errors:
                continue
            target = self.app.entities[target_name]
            t = target.table
            found = ctx.conn.execute(
                sa.select(t.c.id).where(t.c.id == ref, t.c.deleted_at.is_(None))
            ).first()
            if found is None:
                errors.setdefault(name, []).append(f"No {target_name} with id {ref}.")

    def _check_unique(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        values: Mapping[str, Any],
        record_id: int | None,
        errors: Errors,
    ) -> None:
        t = entity.table
        for name, f in entity.entity.fields.items():
            value = values.get(name)
            if not f.unique or value is None or name in errors:
                continue
            query = sa.select(t.c.id).where(t.c[name] == value, t.c.deleted_at.is_(None))
            if record_id is not None:
                query = query.where(t.c.id != record_id)
            if ctx.conn.execute(query.limit(1)).first() is not None:
                errors.setdefault(name, []).append(
                    f"Another {entity.entity.label.lower()} already has this {f.label.lower()}."
                )

    def _compute(self, event: SaveEvent) -> None:
        record, fields = event.record, event.entity.entity.fields
        for f, formula in event.entity.formulas:
            try:
                value = formula.evaluate(record, event.eval)
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                value = None
            value = _coerce_computed(f, value)
            if event.trace is not None and value != record.get(f.name):
                event.explain(
                    "formula", f.name, "computed", {f.name: to_json(value, fields[f.name])}
                )
            record[f.name] = value

    def _check_conditions(self, event: SaveEvent, errors: Errors) -> None:
        """``required_when`` on the new values; ``readonly_when`` on the stored ones."""
        entity = event.entity
        for name in entity.conditions:
            required = entity.condition(name, "required_when")
            blank = _is_blank(event.record.get(name))
            if required is not None and blank and required.evaluate(event.record, event.eval):
                errors.setdefault(name, []).append(REQUIRED_MESSAGE)
            readonly = entity.condition(name, "readonly_when")
            if readonly is None or name not in event.data:
                continue
            before = event.old if event.old is not None else event.record
            unchanged = event.old is not None and event.record.get(name) == event.old.get(name)
            if not unchanged and readonly.evaluate(before, event.eval):
                errors.setdefault(name, []).append(f"'{name}' is read-only now.")

    def form_state(
        self, ctx: SaveContext, entity: CompiledEntity, record: Mapping[str, Any]
    ) -> dict[str, dict[str, bool]]:
        """Whether each field is visible, required and read-only for ``record`` now."""
        ectx = self.eval_context(ctx)
        state: dict[str, dict[str, bool]] = {}
        for name, f in entity.entity.fields.items():
            visible = entity.condition(name, "visible_when")
            required = entity.condition(name, "required_when")
            readonly = entity.condition(name, "readonly_when")
            state[name] = {
                "visible": bool(visible.evaluate(record, ectx)) if visible else True,
                "required": f.required or bool(required and required.evaluate(record, ectx)),
                "readonly": f.computed or bool(readonly and readonly.evaluate(record, ectx)),
            }
        return state

    def _validate(self, event: SaveEvent) -> None:
        errors: Errors = {}
        self._check_conditions(event, errors)
        for rule in event.entity.validations:
            failed = bool(rule.when.evaluate(event.record, event.eval))
            event.explain("validation", rule.when.source, "failed" if failed else "passed")
            if failed:
                errors.setdefault(rule.field or "__all__", []).append(rule.message)
        if errors:
            raise ValidationFailedError(errors)

    def _next_number(self, conn: sa.Connection, entity: CompiledEntity, f: FieldDef) -> str:
        value = next_value(conn, self.app.sequences, f"{entity.name}.{f.name}")
        pattern = f.autonumber_format or "{n}"
        return pattern.format(n=value)

    def _log(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        record_id: int,
        op: str,
        version: int,
        changes: Mapping[str, list[Any]],
    ) -> None:
        fields = entity.entity.fields
        payload = {k: [to_json(v, fields.get(k)) for v in pair] for k, pair in changes.items()}
        ctx.conn.execute(
            self.app.changes.insert(),
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


def _locked_update(table: sa.Table) -> sa.Update:
    """UPDATE of one live row at an expected version; values come as parameters."""
    return table.update().where(
        table.c.id == sa.bindparam("_id"),
        table.c.version == sa.bindparam("_version"),
        table.c.deleted_at.is_(None),
    )


__all__ = ["Record", "RecordService", "SaveContext"]
