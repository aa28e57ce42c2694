"""Whether a transition may run now, and why not: state, role, approval, fields, guard.

The same check serves the save hook (which raises the problem) and the list of
available transitions (which shows it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from trellis.metadata.model import EntityDef
from trellis.platform.records.errors import ConflictError, ForbiddenError, RecordError
from trellis.platform.workflows.approvals import Approval
from trellis.platform.workflows.compiled import CompiledTransition
from trellis.rules.expr import EvalContext


class Mode(Enum):
    """How a transition is being run."""

    #: A direct run (transition endpoint or PATCH): a transition with approval is refused.
    RUN = "run"
    #: Checking whether an approval may be requested: everything but the approval itself.
    PROBE = "probe"
    #: Completing an approved request: the approver's role was checked instead.
    APPROVED = "approved"


@dataclass(frozen=True, slots=True)
class Situation:
    """What the check needs to know about the record and the caller."""

    entity: EntityDef
    state: str
    record: Mapping[str, Any]
    eval: EvalContext
    roles: tuple[str, ...]
    pending: Approval | None


def is_blank(value: Any) -> bool:
    """Empty for a required field: null, blank text or an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def missing_fields(t: CompiledTransition, record: Mapping[str, Any]) -> list[str]:
    """The transition's required fields that are empty in ``record``."""
    return [name for name in t.definition.required if is_blank(record.get(name))]


def guard_passes(t: CompiledTransition, record: Mapping[str, Any], ctx: EvalContext) -> bool:
    """Whether the guard is true (a transition without guard always passes).

    A guard that cannot be evaluated (e.g. arithmetic overflow) does not pass.
    """
    if t.guard is None:
        return True
    try:
        return t.guard.evaluate(record, ctx) is True
    except (ArithmeticError, ValueError, TypeError):
        return False


def _labels(entity: EntityDef, names: list[str]) -> str:
    fields = entity.fields
    return ", ".join(f"'{fields[n].label if n in fields else n}'" for n in names)


def transition_problem(t: CompiledTransition, at: Situation, mode: Mode) -> RecordError | None:
    """The error that stops ``t`` now, or None when it may run."""
    d = t.definition
    noun = at.entity.label.lower()
    if at.state not in d.from_states:
        starts = ", ".join(f"'{s}'" for s in d.from_states)
        return ConflictError(
            f"Transition '{d.name}' cannot run while the {noun} is '{at.state}'; "
            f"it starts from {starts}."
        )
    if mode is not Mode.APPROVED and not t.allows(at.roles):
        roles = ", ".join(f"'{r}'" for r in d.roles)
        return ForbiddenError(f"Transition '{d.name}' needs one of the roles {roles}.")
    if at.pending is not None and mode is not Mode.APPROVED:
        return ConflictError(
            f"Approval pending: transition '{at.pending.transition}' of this {noun} waits for "
            f"a user with the role '{at.pending.role}'."
        )
    role = t.approval_role(at.record, at.eval) if mode is Mode.RUN else None
    if role is not None:
        reason = f" ({d.approval_when})" if d.approval_when else ""
        return ConflictError(
            f"Transition '{d.name}' needs the approval of a user with the role "
            f"'{role}'{reason}; request it with POST …/transitions/{d.name}."
        )
    missing = missing_fields(t, at.record)
    if missing:
        return ConflictError(
            f"Transition '{d.name}' needs {_labels(at.entity, missing)} filled in first."
        )
    if not guard_passes(t, at.record, at.eval):
        return ConflictError(
            d.message
            or f"Transition '{d.name}' is not allowed now: its condition '{d.guard}' is not met."
        )
    return None


__all__ = [
    "Mode",
    "Situation",
    "guard_passes",
    "is_blank",
    "missing_fields",
    "transition_problem",
]
