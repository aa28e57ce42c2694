"""Whether a transition may run now, and why not: state, role, approval, fields, guard.

The same check serves the save hook (which raises the problem) and the list of
available transitions (which shows it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from trellis.metadata.model import EntityDef
from trellis.metadata.model.local_text import LocalText, Translatable, listed
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
    """The fields' labels quoted, in the reader's language when translated."""
    fields = entity.fields
    return listed(
        [Translatable("'%(field)s'", field=fields[n].label if n in fields else n) for n in names]
    )


def noun_of(entity: EntityDef) -> str:
    """The entity's label in lower case, per locale when it declares several."""
    label = entity.label
    if isinstance(label, LocalText):
        return LocalText({k: v.lower() for k, v in label.by_locale.items()})
    return label.lower()


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def transition_problem(t: CompiledTransition, at: Situation, mode: Mode) -> RecordError | None:
    """The error that stops ``t`` now, or None when it may run."""
    d = t.definition
    noun = noun_of(at.entity)
    if at.state not in d.from_states:
        return ConflictError(
            Translatable(
                "Transition '%(name)s' cannot run while the %(noun)s is '%(state)s'; "
                "it starts from %(starts)s.",
                name=d.name,
                noun=noun,
                state=at.state,
                starts=_quoted(d.from_states),
            )
        )
    if mode is not Mode.APPROVED and not t.allows(at.roles):
        return ForbiddenError(
            Translatable(
                "Transition '%(name)s' needs one of the roles %(roles)s.",
                name=d.name,
                roles=_quoted(d.roles),
            )
        )
    if at.pending is not None and mode is not Mode.APPROVED:
        return ConflictError(
            Translatable(
                "Approval pending: transition '%(name)s' of this %(noun)s waits for "
                "a user with the role '%(role)s'.",
                name=at.pending.transition,
                noun=noun,
                role=at.pending.role,
            )
        )
    role = t.approval_role(at.record, at.eval) if mode is Mode.RUN else None
    if role is not None:
        return ConflictError(_needs_approval(d.name, role, d.approval_when))
    missing = missing_fields(t, at.record)
    if missing:
        return ConflictError(
            Translatable(
                "Transition '%(name)s' needs %(fields)s filled in first.",
                name=d.name,
                fields=_labels(at.entity, missing),
            )
        )
    if not guard_passes(t, at.record, at.eval):
        return ConflictError(
            d.message
            or Translatable(
                "Transition '%(name)s' is not allowed now: its condition '%(guard)s' is not met.",
                name=d.name,
                guard=d.guard,
            )
        )
    return None


def _needs_approval(name: str, role: str, when: str | None) -> Translatable:
    if when:
        return Translatable(
            "Transition '%(name)s' needs the approval of a user with the role '%(role)s' "
            "(%(when)s); request it with POST …/transitions/%(name)s.",
            name=name,
            role=role,
            when=when,
        )
    return Translatable(
        "Transition '%(name)s' needs the approval of a user with the role '%(role)s'; "
        "request it with POST …/transitions/%(name)s.",
        name=name,
        role=role,
    )


__all__ = [
    "Mode",
    "Situation",
    "guard_passes",
    "is_blank",
    "missing_fields",
    "noun_of",
    "transition_problem",
]
