"""Workflows compiled once per app version: guards and ``on_enter`` values as closures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from trellis.metadata.model import (
    FIELD_TYPES,
    DslType,
    FieldDef,
    FieldType,
    TransitionDef,
    WorkflowDef,
)
from trellis.platform.records.compiled import CompiledApp
from trellis.rules.expr import CompiledExpression, EvalContext, compile_expression

#: The writable standard column ``on_enter`` may set, as a field definition.
OWNER_FIELD = FieldDef("owner_id", FieldType.USER, "Owner")


@dataclass(frozen=True, slots=True)
class CompiledTransition:
    """A transition with its guard and ``on_enter`` values compiled."""

    definition: TransitionDef
    guard: CompiledExpression | None
    #: (target field, value expression) in declaration order.
    sets: tuple[tuple[FieldDef, CompiledExpression], ...]
    #: ``approval: {when: …}``: the approval is needed only while this is true.
    approval_when: CompiledExpression | None = None

    @property
    def name(self) -> str:
        """The transition name."""
        return self.definition.name

    def allows(self, roles: tuple[str, ...]) -> bool:
        """Whether a caller with ``roles`` may run it (``admin`` may run every one)."""
        required = self.definition.roles
        return not required or "admin" in roles or any(r in roles for r in required)

    def approval_role(self, record: Mapping[str, Any], ctx: EvalContext) -> str | None:
        """The role that must approve a run on ``record`` now, or None when none must.

        A condition that cannot be evaluated asks for the approval (the safe side).
        """
        role = self.definition.approval_role
        if role is None or self.approval_when is None:
            return role
        try:
            needed = self.approval_when.evaluate(record, ctx) is True
        except (ArithmeticError, ValueError, TypeError):
            needed = True
        return role if needed else None


@dataclass(frozen=True, slots=True)
class CompiledWorkflow:
    """A workflow of one entity, its transitions by name."""

    definition: WorkflowDef
    transitions: Mapping[str, CompiledTransition]
    #: Whether any transition waits for an approval (only then are approvals looked up).
    has_approvals: bool

    @property
    def name(self) -> str:
        """The workflow name."""
        return self.definition.name

    @property
    def field(self) -> str:
        """The entity field holding the state."""
        return self.definition.field

    def state_of(self, record: Mapping[str, object]) -> str:
        """The record's state; a record without one is in the initial state."""
        value = record.get(self.definition.field)
        return value if isinstance(value, str) else self.definition.initial


def _compile_transition(
    app: CompiledApp, workflow: WorkflowDef, t: TransitionDef
) -> CompiledTransition:
    entity = app.model.entity(workflow.entity)
    guard = None
    if t.guard is not None:
        guard = compile_expression(
            t.guard, entity, app.model, expected=DslType.BOOLEAN, span=t.guard_source
        )
    sets: list[tuple[FieldDef, CompiledExpression]] = []
    for name, source in t.on_enter_set.items():
        target = entity.fields.get(name) or OWNER_FIELD
        dsl = FIELD_TYPES[target.type].dsl_type
        expected = DslType.NUMBER if dsl is DslType.REFERENCE else dsl
        value = compile_expression(
            source, entity, app.model, expected=expected, span=t.on_enter_sources.get(name)
        )
        sets.append((target, value))
    when = None
    if t.approval_when is not None:
        when = compile_expression(
            t.approval_when,
            entity,
            app.model,
            expected=DslType.BOOLEAN,
            span=t.approval_when_source,
        )
    return CompiledTransition(t, guard, tuple(sets), when)


def _compile(app: CompiledApp) -> Mapping[str, tuple[CompiledWorkflow, ...]]:
    by_entity: dict[str, list[CompiledWorkflow]] = {}
    for workflow in app.model.workflows.values():
        transitions = {t.name: _compile_transition(app, workflow, t) for t in workflow.transitions}
        compiled = CompiledWorkflow(
            workflow,
            MappingProxyType(transitions),
            any(t.approval_role for t in workflow.transitions),
        )
        by_entity.setdefault(workflow.entity, []).append(compiled)
    return MappingProxyType({k: tuple(v) for k, v in by_entity.items()})


def compiled_workflows(app: CompiledApp) -> Mapping[str, tuple[CompiledWorkflow, ...]]:
    """The app's workflows by entity name, compiled (callers keep them per app version)."""
    return _compile(app)


__all__ = ["OWNER_FIELD", "CompiledTransition", "CompiledWorkflow", "compiled_workflows"]
