"""The steps before the write: authorize, load, coerce, defaults, field checks, formulas, validate.

Each step is a function of the :class:`Save` with one job; the pipeline declares
their order (:mod:`trellis.platform.records.pipeline.sequences`).
"""

from __future__ import annotations

from trellis.metadata.model.local_text import Translatable
from trellis.platform.money.formulas import convert_formulas
from trellis.platform.records.errors import ConflictError, NotFoundError, ValidationFailedError
from trellis.platform.records.pipeline.state import Save, with_old
from trellis.platform.records.principal import Member, System
from trellis.platform.records.save_checks import (
    check_conditions,
    check_owner,
    check_references,
    check_unique,
    is_blank,
)
from trellis.platform.records.validation import REQUIRED_MESSAGE, Errors
from trellis.platform.records.values import coerce_computed, float_precision_errors, to_json


def authorize(save: Save) -> None:
    """Check the principal may make this save; the system always may.

    A member needs the entity's action (403), may write no hidden or read-only field
    and assign records only within their scope (422), and may change only records
    inside their scope (404). A workflow transition's save writes the state field
    for the member: its fields are the transition's, not checked here.
    """
    ctx, entity, op = save.ctx, save.entity, save.event.op
    match ctx.principal:
        case System(reason=reason):
            save.event.explain("authorize", reason, "system")
        case Member(access=access):
            access.require(entity.name, op)
            if op != "delete" and ctx.intent is None:
                access.check_write(entity, save.event.data)
            if save.record_id is not None and not access.reachable(
                ctx.conn, entity, save.record_id
            ):
                raise NotFoundError(
                    Translatable(
                        "No %(entity)s with id %(id)s.", entity=entity.name, id=save.record_id
                    )
                )


def load(save: Save) -> None:
    """Read and lock the stored record; refuse a stale ``expected_version`` (409).

    The stored record becomes the save's ``old`` and its expression context's too.
    """
    entity, record_id = save.entity, int(save.record_id or 0)
    current = save.repo.get_for_update(save.ctx.conn, entity, record_id)
    if current is None:
        raise NotFoundError(
            Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
        )
    expected = save.expected_version
    if expected is not None and int(current["version"]) != expected:
        raise ConflictError(
            f"Version {expected} of this {entity.name} is out of date; the current "
            f"version is {current['version']}. Reload it and apply your change again.",
            current_version=int(current["version"]),
        )
    save.event.old = current
    save.event.record = dict(current)
    # ``old()``/``changed()`` in defaults, formulas, conditions and validations read it.
    save.event.eval = with_old(save.event.eval, current)


def coerce(save: Save) -> None:
    """Check and convert the request's values; errors wait for ``check fields``.

    On SQLite a float beyond its precision is an error too. The record becomes the
    stored one (or an empty one) with the values applied.
    """
    entity = save.entity
    values, errors = entity.validator.check(save.event.data)
    if save.ctx.conn.dialect.name == "sqlite":
        for name, messages in float_precision_errors(entity.entity.fields, values).items():
            errors.setdefault(name, []).extend(messages)
            values.pop(name)
    save.values, save.errors = values, errors
    if save.event.old is None:
        save.event.record = dict.fromkeys(entity.entity.fields)
    save.event.record.update(values)


def defaults(save: Save) -> None:
    """Fill fields a new record was not given from their ``default`` expressions."""
    event, fields = save.event, save.entity.entity.fields
    for name, default in save.entity.defaults.items():
        if name not in event.data and name not in save.errors:
            value = coerce_computed(fields[name], default.evaluate(event.record, event.eval))
            event.record[name] = value
            event.explain("default", name, "set", {name: to_json(value, fields[name])})


def check_fields(save: Save) -> None:
    """Required fields filled, references live, unique values unique; 422 with every error.

    A create checks every required field; an update the values it sends. References
    and uniqueness are checked for the values that change.
    """
    entity, errors, values = save.entity, save.errors, save.values
    old = save.event.old
    if old is None:
        for f in entity.entity.fields.values():
            blank = is_blank(save.event.record.get(f.name))
            if f.required and not f.computed and f.name not in errors and blank:
                errors.setdefault(f.name, []).append(REQUIRED_MESSAGE)
        changed = values
    else:
        for key, value in values.items():
            sent = entity.entity.fields.get(key)
            if sent is not None and sent.required and is_blank(value):
                errors.setdefault(key, []).append(REQUIRED_MESSAGE)
        changed = {k: v for k, v in values.items() if v != old.get(k)}
    conn = save.ctx.conn
    check_references(save.repo, conn, entity, changed, errors)
    check_unique(save.repo, conn, entity, changed, save.record_id, errors)
    if errors:
        raise ValidationFailedError(errors)


def formulas(save: Save) -> None:
    """Compute the formula fields (in dependency order); remember the result."""
    compute(save)
    save.computed = dict(save.event.record)


def refresh_formulas(save: Save) -> None:
    """Compute the formulas again when the hooks before the write changed the record."""
    if save.computed is not None and save.event.record != save.computed:
        compute(save)


def compute(save: Save) -> None:
    """Evaluate every formula on the record; one that cannot be computed is empty."""
    event = save.event
    record, fields = event.record, save.entity.entity.fields
    for f, formula in save.entity.formulas:
        try:
            value = formula.evaluate(record, event.eval)
        except (ArithmeticError, ValueError, TypeError, OverflowError):
            value = None
        value = coerce_computed(f, value)
        if event.trace is not None and value != record.get(f.name):
            event.explain("formula", f.name, "computed", {f.name: to_json(value, fields[f.name])})
        record[f.name] = value
    if save.entity.formulas:
        convert_formulas(save.ctx.conn, save.app, save.entity, record, event.eval.today)


def validate(save: Save) -> None:
    """Conditional rules, validation rules and the owner (an active member of the tenant)
    on the record as it will be written (422)."""
    event = save.event
    errors: Errors = {}
    check_conditions(event, errors)
    check_owner(save.app, event.record, event.old, errors)
    for rule in save.entity.validations:
        failed = bool(rule.when.evaluate(event.record, event.eval))
        event.explain("validation", rule.when.source, "failed" if failed else "passed")
        if failed:
            errors.setdefault(rule.field or "__all__", []).append(rule.message)
    if errors:
        raise ValidationFailedError(errors)


__all__ = [
    "authorize",
    "check_fields",
    "coerce",
    "compute",
    "defaults",
    "formulas",
    "load",
    "refresh_formulas",
    "validate",
]
