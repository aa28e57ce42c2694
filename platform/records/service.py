"""The save pipeline for records: check, default, compute, validate, write, log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FIELD_TYPES, DslType, FieldDef
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.records.validation import REQUIRED_MESSAGE, Errors
from trellis.platform.records.values import to_decimal, to_json
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import inserted_id

Record = dict[str, Any]


@dataclass(slots=True)
class SaveContext:
    """Who saves, when, and a per-request cache of referenced records."""

    conn: sa.Connection
    user_id: int | None
    now: datetime
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
            return int(value)
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

    def __init__(self, app: CompiledApp) -> None:
        self.app = app

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
        """
        values, errors = entity.validator.check(data)
        record: Record = dict.fromkeys(entity.entity.fields)
        record.update(values)
        ectx = self.eval_context(ctx)
        for name, default in entity.defaults.items():
            if name not in data and name not in errors:
                record[name] = _coerce_computed(
                    entity.entity.fields[name], default.evaluate(record, ectx)
                )
        for f in entity.entity.fields.values():
            if (
                f.required
                and not f.computed
                and name_ok(f.name, errors)
                and _is_blank(record.get(f.name))
            ):
                errors.setdefault(f.name, []).append(REQUIRED_MESSAGE)
        self._check_references(ctx, entity, values, errors)
        self._check_unique(ctx, entity, values, None, errors)
        if errors:
            raise ValidationFailedError(errors)
        self._compute(entity, record, ectx)
        self._validate(entity, record, ectx)
        for f in entity.entity.fields.values():
            if f.type == "autonumber":
                record[f.name] = self._next_number(ctx.conn, entity, f)
        record.update(
            created_at=ctx.now,
            created_by=ctx.user_id,
            updated_at=ctx.now,
            updated_by=ctx.user_id,
            owner_id=values.get("owner_id", ctx.user_id),
            version=1,
            deleted_at=None,
        )
        # Values go as parameters, not into the statement: the compiled INSERT is then
        # reused from SQLAlchemy's cache instead of being rebuilt per record.
        result = ctx.conn.execute(entity.table.insert(), record)
        record["id"] = inserted_id(result)
        self._log(
            ctx,
            entity,
            record["id"],
            "create",
            1,
            {k: [None, record[k]] for k in entity.entity.fields if record[k] is not None},
        )
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
        """
        current = self.get(ctx.conn, entity, record_id, for_update=True)
        if current is None:
            raise NotFoundError(f"No {entity.name} with id {record_id}.")
        self._check_version(entity, current, expected_version)
        values, errors = entity.validator.check(data)
        for key, value in values.items():
            f = entity.entity.fields.get(key)
            if f is not None and f.required and _is_blank(value):
                errors.setdefault(key, []).append(REQUIRED_MESSAGE)
        changed_refs = {k: v for k, v in values.items() if v != current.get(k)}
        self._check_references(ctx, entity, changed_refs, errors)
        self._check_unique(ctx, entity, changed_refs, record_id, errors)
        if errors:
            raise ValidationFailedError(errors)
        record = dict(current)
        record.update(values)
        ectx = self.eval_context(ctx)
        self._compute(entity, record, ectx)
        self._validate(entity, record, ectx)
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
        return record

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

    def _compute(self, entity: CompiledEntity, record: Record, ectx: EvalContext) -> None:
        for f, formula in entity.formulas:
            try:
                value = formula.evaluate(record, ectx)
            except (ArithmeticError, ValueError, TypeError, OverflowError):
                value = None
            record[f.name] = _coerce_computed(f, value)

    def _validate(self, entity: CompiledEntity, record: Record, ectx: EvalContext) -> None:
        errors: Errors = {}
        for rule in entity.validations:
            if rule.when.evaluate(record, ectx):
                errors.setdefault(rule.field or "__all__", []).append(rule.message)
        if errors:
            raise ValidationFailedError(errors)

    def _next_number(self, conn: sa.Connection, entity: CompiledEntity, f: FieldDef) -> str:
        seq = self.app.sequences
        key = f"{entity.name}.{f.name}"
        updated = conn.execute(
            seq.update()
            .where(seq.c.name == key)
            .values(value=seq.c.value + 1)
            .returning(seq.c.value)
        ).scalar()
        if updated is None:
            conn.execute(seq.insert().values(name=key, value=1))
            updated = 1
        pattern = f.autonumber_format or "{n}"
        return pattern.format(n=int(updated))

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


def name_ok(name: str, errors: Errors) -> bool:
    """Whether ``name`` has no error yet (so a required message is not piled on)."""
    return name not in errors


__all__ = ["Record", "RecordService", "SaveContext"]
