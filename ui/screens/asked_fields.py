"""Transitions that ask: the fields a refused transition or stage move needs, in a dialog.

When a workflow transition (detail page) or a stage move (kanban, stage bar) is
refused because fields are empty or invalid, the screen answers with a native
``<dialog>`` holding exactly those fields: the transition's ``required`` fields that
are empty, the fields its guard reads (when the guard is false), and the fields a
validation refused. The dialog posts them with the move (``_ask`` names them), so the
save runs once, through the same pipeline, and its errors come back in the dialog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trellis.platform.authz.call import Call
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.save_checks import is_blank
from trellis.platform.records.validation import REQUIRED_MESSAGE
from trellis.platform.workflows.compiled import CompiledTransition, CompiledWorkflow
from trellis.ui.screens.forms import form_values
from trellis.ui.screens.layouts import editable

#: The posted field that lists the dialog's fields.
ASK_FIELD = "_ask"


@dataclass(frozen=True, slots=True)
class Ask:
    """A dialog asking for the fields a move needs (rendered by ``_ask_dialog.html``)."""

    #: Where the dialog posts and which element the answer replaces.
    url: str
    target: str
    title: str
    reason: str
    fields: tuple[str, ...]
    values: Mapping[str, Any]
    errors: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Hidden inputs posted again (the stage, the record version).
    hidden: tuple[tuple[str, str], ...] = ()


def writable(call: Call, entity: CompiledEntity) -> set[str]:
    """The entity's fields the caller may type into."""
    access = call.access.entity(entity.name)
    return {
        n
        for n, f in entity.entity.fields.items()
        if editable(f) and n not in access.hidden and n not in access.read_only
    }


def transition_fields(
    t: CompiledTransition, record: Mapping[str, Any], can_write: set[str]
) -> list[str]:
    """The required fields of ``t`` still empty, and the fields its guard reads."""
    names = [n for n in t.definition.required if is_blank(record.get(n))]
    if t.guard is not None:
        names.extend(path[0] for path in t.guard.field_paths if len(path) == 1)
    return [n for n in dict.fromkeys(names) if n in can_write]


def move_transition(
    flows: Iterable[CompiledWorkflow], field_name: str, current: Any, to: str
) -> CompiledTransition | None:
    """The transition a move of ``field_name`` from ``current`` to ``to`` runs, if any."""
    for workflow in flows:
        if workflow.definition.field != field_name:
            continue
        for t in workflow.transitions.values():
            if t.definition.to == to and current in t.definition.from_states:
                return t
    return None


def asked_names(
    entity: CompiledEntity,
    can_write: set[str],
    *,
    transition: CompiledTransition | None,
    record: Mapping[str, Any],
    errors: Mapping[str, Sequence[str]],
    skip: str | None = None,
) -> tuple[str, ...]:
    """Every field the dialog asks for, in the entity's field order."""
    wanted = set(transition_fields(transition, record, can_write)) if transition else set()
    wanted.update(n for n in errors if n in can_write)
    wanted.discard(skip or "")
    return tuple(n for n in entity.entity.fields if n in wanted)


def asked_values(
    entity: CompiledEntity,
    posted: Mapping[str, Sequence[str]],
    can_write: set[str],
    zone: str = "UTC",
) -> dict[str, Any]:
    """The API values of the fields a dialog posted (only fields the caller may write)."""
    names = [n for n in posted.get(ASK_FIELD, []) if n in can_write]
    return form_values(entity.entity, posted, list(dict.fromkeys(names)), zone)


def field_errors(
    errors: Mapping[str, Sequence[str]], names: Sequence[str], sent: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The errors of the asked fields; an asked field sent empty is required."""
    found = {n: list(ms) for n, ms in errors.items() if n in names}
    for name in names:
        if name in sent and is_blank(sent[name]) and name not in found:
            found[name] = [REQUIRED_MESSAGE]
    return found


def other_messages(errors: Mapping[str, Sequence[str]], names: Sequence[str]) -> str:
    """The messages not about one of the asked fields, as one sentence list."""
    return " ".join(m for n, ms in errors.items() if n not in names for m in ms)


__all__ = [
    "ASK_FIELD",
    "Ask",
    "asked_names",
    "asked_values",
    "field_errors",
    "move_transition",
    "other_messages",
    "transition_fields",
    "writable",
]
