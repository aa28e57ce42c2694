"""The workflow save hook: initial state on create, checked transitions on update.

A create gets the workflow's initial state (another state is refused). An update
that changes the state field runs the matching transition; so does a save started
by the transition endpoint, which names its transition through :func:`intent_of`
(``SaveContext.intent``).
Refusals: 403 for a missing role, 409 with the reason for everything else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trellis.metadata.model.local_text import Translatable, listed
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import ConflictError, RecordError, ValidationFailedError
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.values import coerce_computed, to_json
from trellis.platform.workflows.approvals import pending_approval
from trellis.platform.workflows.checks import Mode, Situation, noun_of, transition_problem
from trellis.platform.workflows.compiled import (
    CompiledTransition,
    CompiledWorkflow,
    compiled_workflows,
)

if TYPE_CHECKING:
    from trellis.platform.records.save_context import SaveContext


@contextmanager
def intent_of(ctx: SaveContext, intent: Intent) -> Iterator[None]:
    """Within this block, the save of ``intent``'s record in ``ctx`` runs its transition."""
    ctx.intent = intent
    try:
        yield
    finally:
        ctx.intent = None


@dataclass(frozen=True, slots=True)
class Intent:
    """The transition a save was started for (by the transition endpoint)."""

    entity: str
    record_id: int
    workflow: str
    transition: str
    mode: Mode


class WorkflowHook:
    """Keeps every save of an entity with a workflow on a legal path through its states."""

    def __init__(self, app: CompiledApp, flows: Mapping[str, tuple[CompiledWorkflow, ...]]):
        self.app = app
        self.flows = flows

    def before_write(self, event: SaveEvent) -> None:
        """Set the initial state, or check and apply the transition the save makes."""
        for workflow in self.flows.get(event.entity.name, ()):
            if event.op == "create":
                self._start(event, workflow)
            elif event.op == "update":
                self._move(event, workflow)

    def after_write(self, event: SaveEvent) -> None:
        """Nothing to do once written: the transition was applied before the write."""

    def _start(self, event: SaveEvent, workflow: CompiledWorkflow) -> None:
        name, initial = workflow.field, workflow.definition.initial
        value = event.record.get(name)
        if value is None:
            event.record[name] = initial
            event.explain("workflow", workflow.name, f"starts in '{initial}'", {name: initial})
        elif value != initial:
            message = Translatable(
                "A new %(noun)s starts in '%(initial)s'; move it on with a transition "
                "of workflow '%(workflow)s'.",
                noun=noun_of(event.entity.entity),
                initial=initial,
                workflow=workflow.name,
            )
            raise ValidationFailedError({name: [message]})

    def _move(self, event: SaveEvent, workflow: CompiledWorkflow) -> None:
        old = event.old or {}
        state = workflow.state_of(old)
        intent = event.ctx.intent
        target = (event.entity.name, event.record.get("id"), workflow.name)
        if intent is not None and (intent.entity, intent.record_id, intent.workflow) == target:
            candidates = [workflow.transitions[intent.transition]]
            mode = intent.mode
        else:
            new = event.record.get(workflow.field)
            if new == old.get(workflow.field):
                return
            candidates = [
                t
                for t in workflow.transitions.values()
                if state in t.definition.from_states and t.definition.to == new
            ]
            if not candidates:
                raise self._no_transition(event, workflow, state, new)
            mode = Mode.RUN
        pending = None
        if workflow.has_approvals:
            pending = pending_approval(
                event.ctx.conn, self.app, event.entity.name, int(old["id"]), workflow.name
            )
        at = Situation(
            event.entity.entity, state, event.record, event.eval, event.ctx.roles, pending
        )
        self._apply(event, workflow, self._choose(candidates, at, mode))

    @staticmethod
    def _choose(
        candidates: list[CompiledTransition], at: Situation, mode: Mode
    ) -> CompiledTransition:
        """The first candidate allowed now; else the first candidate's problem is raised."""
        first: RecordError | None = None
        for t in candidates:
            problem = transition_problem(t, at, mode)
            if problem is None:
                return t
            first = first or problem
        raise first or ConflictError(Translatable("No transition applies."))

    @staticmethod
    def _apply(event: SaveEvent, workflow: CompiledWorkflow, t: CompiledTransition) -> None:
        changes: dict[str, Any] = {workflow.field: t.definition.to}
        event.record[workflow.field] = t.definition.to
        for f, expression in t.sets:
            try:
                value = expression.evaluate(event.record, event.eval)
            except (ArithmeticError, ValueError, TypeError):
                value = None  # like a formula that cannot be computed
            event.record[f.name] = coerce_computed(f, value)
            changes[f.name] = to_json(event.record[f.name], f)
        event.explain("transition", f"{workflow.name}.{t.name}", "allowed", changes)

    @staticmethod
    def _no_transition(
        event: SaveEvent, workflow: CompiledWorkflow, state: str, new: Any
    ) -> ConflictError:
        leaving = [
            Translatable("'%(name)s' (to '%(to)s')", name=t.name, to=t.definition.to)
            for t in workflow.transitions.values()
            if state in t.definition.from_states
        ]
        allowed = (
            Translatable(
                "from '%(state)s' you can run %(transitions)s",
                state=state,
                transitions=listed(leaving),
            )
            if leaving
            else Translatable("no transition leaves '%(state)s'", state=state)
        )
        return ConflictError(
            Translatable(
                "No transition of workflow '%(workflow)s' moves a %(noun)s from '%(state)s' "
                "to '%(new)s'; %(allowed)s.",
                workflow=workflow.name,
                noun=noun_of(event.entity.entity),
                state=state,
                new=new,
                allowed=allowed,
            )
        )


def workflow_hook(app: CompiledApp) -> WorkflowHook | None:
    """The workflow hook of ``app``, or None when it declares no workflow."""
    flows = compiled_workflows(app)
    return WorkflowHook(app, flows) if flows else None


__all__ = ["Intent", "WorkflowHook", "intent_of", "workflow_hook"]
