"""Checks of a save that read the database or the field conditions.

References must name live records, a new owner an active member of the tenant, unique
fields must not repeat, ``required_when`` and ``readonly_when`` hold; each check adds
its messages to the save's ``errors`` so the caller reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.coerce import any_reference_parts
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.repository import RecordRepository
from trellis.platform.records.validation import REQUIRED_MESSAGE, Errors
from trellis.rules.expr import EvalContext


def is_blank(value: Any) -> bool:
    """Whether a value counts as not filled in (None, blank text, an empty list)."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def check_references(
    repo: RecordRepository,
    conn: sa.Connection,
    entity: CompiledEntity,
    values: Mapping[str, Any],
    errors: Errors,
) -> None:
    """Each reference (and each id of a ``many_to_many`` field) in ``values`` must name
    a live record of its target entity."""
    for name, target_name in entity.references.items():
        ref = values.get(name)
        if ref is None or name in errors:
            continue
        if not repo.exists(conn, target_name, ref):
            errors.setdefault(name, []).append(f"No {target_name} with id {ref}.")
    for name, f in entity.entity.fields.items():
        value = values.get(name)
        parts = any_reference_parts(value) if f.targets and isinstance(value, str) else None
        if parts is None or name in errors:
            continue
        if parts[0] not in repo.app.entities or not repo.exists(conn, parts[0], parts[1]):
            errors.setdefault(name, []).append(f"No {parts[0]} with id {parts[1]}.")
    for name, link in entity.links.items():
        ids = values.get(name)
        if not ids or name in errors:
            continue
        missing = repo.missing_ids(conn, link.target, list(ids))
        if missing:
            listed = ", ".join(map(str, missing[:10])) + (", …" if len(missing) > 10 else "")
            noun = "id" if len(missing) == 1 else "ids"
            errors.setdefault(name, []).append(f"No {link.target} with {noun} {listed}.")


def check_owner(
    app: CompiledApp, record: Mapping[str, Any], old: Mapping[str, Any] | None, errors: Errors
) -> None:
    """A new owner must be an active member of the tenant, whoever set it (the caller,
    a default or a rule)."""
    value = record.get("owner_id")
    if app.is_member is None or value is None or "owner_id" in errors:
        return
    if old is not None and old.get("owner_id") == value:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not app.is_member(value):
        errors.setdefault("owner_id", []).append(f"User {value} is not a member of this tenant.")


def check_unique(
    repo: RecordRepository,
    conn: sa.Connection,
    entity: CompiledEntity,
    values: Mapping[str, Any],
    record_id: int | None,
    errors: Errors,
) -> None:
    """A unique field's value in ``values`` must not be on another live record."""
    for name, f in entity.entity.fields.items():
        value = values.get(name)
        if not f.unique or value is None or name in errors:
            continue
        if repo.taken(conn, entity, name, value, record_id):
            errors.setdefault(name, []).append(
                f"Another {entity.entity.label.lower()} already has this {f.label.lower()}."
            )


def check_conditions(event: SaveEvent, errors: Errors) -> None:
    """``required_when`` on the new values; ``readonly_when`` on the stored ones."""
    entity = event.entity
    for name in entity.conditions:
        required = entity.condition(name, "required_when")
        blank = is_blank(event.record.get(name))
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
    entity: CompiledEntity, record: Mapping[str, Any], ectx: EvalContext
) -> dict[str, dict[str, bool]]:
    """Whether each field is visible, required and read-only for ``record`` now."""
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


__all__ = ["check_conditions", "check_references", "check_unique", "form_state", "is_blank"]
