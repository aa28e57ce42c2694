"""Run, approve, reject and list the transitions of a record, through the save pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.records.hooks import Record, Saver
from trellis.platform.records.pipeline.state import eval_context
from trellis.platform.records.repository import RecordRepository
from trellis.platform.records.save_context import SaveContext
from trellis.platform.workflows.approvals import (
    APPROVED,
    REJECTED,
    Approval,
    decide,
    pending_approval,
    request_approval,
)
from trellis.platform.workflows.checks import (
    Mode,
    Situation,
    guard_passes,
    missing_fields,
    noun_of,
    transition_problem,
)
from trellis.platform.workflows.compiled import (
    CompiledTransition,
    CompiledWorkflow,
    compiled_workflows,
)
from trellis.platform.workflows.hook import Intent, intent_of

DECIDED_MEANWHILE = Translatable("This approval was decided meanwhile; reload and try again.")


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """The record after the call, and the approval request it created or decided."""

    record: Record
    approval: Approval | None = None


class WorkflowRunner:
    """Transition operations on the records of one compiled app."""

    def __init__(self, app: CompiledApp, saver: Saver) -> None:
        self.app = app
        self.saver = saver
        self.repository = RecordRepository(app)
        self.flows = compiled_workflows(app)

    def find(
        self, entity: CompiledEntity, name: str
    ) -> tuple[CompiledWorkflow, CompiledTransition]:
        """The workflow and transition called ``name`` on ``entity``; 404 when unknown."""
        for workflow in self.flows.get(entity.name, ()):
            found = workflow.transitions.get(name)
            if found is not None:
                return workflow, found
        raise NotFoundError(
            Translatable("No transition '%(name)s' on %(entity)s.", name=name, entity=entity.name)
        )

    @contextmanager
    def _intent(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        record_id: int,
        step: tuple[CompiledWorkflow, CompiledTransition],
        mode: Mode,
    ) -> Iterator[None]:
        intent = Intent(entity.name, record_id, step[0].name, step[1].name, mode)
        with intent_of(ctx, intent):
            yield

    def _record(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, *, lock: bool = True
    ) -> Record:
        record = self.repository.get(ctx.conn, entity, record_id, for_update=lock)
        if record is None:
            raise NotFoundError(
                Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
            )
        return record

    def run(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        record_id: int,
        name: str,
        data: dict[str, Any],
        expected_version: int | None,
    ) -> TransitionResult:
        """Run transition ``name`` with ``data`` set along with it.

        A transition with an approval step is checked as if it ran (everything is
        rolled back) and recorded as a pending approval instead.

        Raises:
            NotFoundError: unknown transition or record.
            ForbiddenError: the caller has none of the transition's roles.
            ConflictError: wrong state, guard false, required field empty, approval
                pending or needed, stale version.
            ValidationFailedError: bad field values, or the state field in ``data``.
        """
        workflow, t = step = self.find(entity, name)
        if workflow.field in data:
            message = Translatable(
                "The transition sets '%(field)s'; do not send it.", field=workflow.field
            )
            raise ValidationFailedError({workflow.field: [message]})
        payload = {**data, workflow.field: t.definition.to}
        role = self._approval_role(ctx, entity, record_id, t, data)
        if role is None:
            with self._intent(ctx, entity, record_id, step, Mode.RUN):
                saved = self.saver.update(ctx, entity, record_id, payload, expected_version)
            return TransitionResult(saved)
        probe = ctx.conn.begin_nested()
        try:
            with self._intent(ctx, entity, record_id, step, Mode.PROBE):
                self.saver.update(ctx, entity, record_id, payload, expected_version)
        finally:
            probe.rollback()
        approval = request_approval(
            ctx.conn,
            self.app,
            entity=entity.name,
            record_id=record_id,
            workflow=workflow.name,
            transition=t.name,
            role=role,
            data=data,
            user_id=ctx.user_id,
            now=ctx.now,
        )
        return TransitionResult(self._record(ctx, entity, record_id), approval)

    def _approval_role(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        record_id: int,
        t: CompiledTransition,
        data: dict[str, Any],
    ) -> str | None:
        """The role that must approve running ``t`` with ``data`` now, if any."""
        if t.definition.approval_role is None or t.approval_when is None:
            return t.definition.approval_role
        record = {**self._record(ctx, entity, record_id, lock=False), **data}
        return t.approval_role(record, eval_context(self.repository, ctx))

    def _pending_for(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, name: str
    ) -> tuple[tuple[CompiledWorkflow, CompiledTransition], Approval]:
        step = self.find(entity, name)
        role = step[1].definition.approval_role
        if role is None:
            raise NotFoundError(
                Translatable("Transition '%(name)s' has no approval step.", name=name)
            )
        if role not in ctx.roles and "admin" not in ctx.roles:
            raise ForbiddenError(
                Translatable(
                    "Only a user with the role '%(role)s' can decide this approval.", role=role
                )
            )
        self._record(ctx, entity, record_id)
        pending = pending_approval(ctx.conn, self.app, entity.name, record_id, step[0].name)
        if pending is None or pending.transition != name:
            raise ConflictError(
                Translatable(
                    "No approval is pending for transition '%(name)s' of this %(noun)s.",
                    name=name,
                    noun=noun_of(entity.entity),
                )
            )
        return step, pending

    def approve(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, name: str
    ) -> TransitionResult:
        """Approve the pending request for ``name`` and run the transition now.

        The transition's state, required fields and guard are checked again; if they
        fail, nothing changes and the request stays pending.

        Raises:
            NotFoundError: unknown transition or record, or no approval step.
            ForbiddenError: the caller lacks the approving role.
            ConflictError: nothing pending, or the transition cannot run now.
        """
        step, pending = self._pending_for(ctx, entity, record_id, name)
        if not decide(ctx.conn, self.app, pending, APPROVED, ctx.user_id, ctx.now):
            raise ConflictError(DECIDED_MEANWHILE)
        payload = {**pending.data, step[0].field: step[1].definition.to}
        with self._intent(ctx, entity, record_id, step, Mode.APPROVED):
            saved = self.saver.update(ctx, entity, record_id, payload, None)
        return TransitionResult(saved, _decided(pending, APPROVED, ctx))

    def reject(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, name: str
    ) -> TransitionResult:
        """Reject the pending request for ``name``; the record stays as it is."""
        _, pending = self._pending_for(ctx, entity, record_id, name)
        if not decide(ctx.conn, self.app, pending, REJECTED, ctx.user_id, ctx.now):
            raise ConflictError(DECIDED_MEANWHILE)
        record = self._record(ctx, entity, record_id)
        return TransitionResult(record, _decided(pending, REJECTED, ctx))

    def available(self, ctx: SaveContext, entity: CompiledEntity, record_id: int) -> dict[str, Any]:
        """The record's states and the transitions the caller may run from them."""
        record = self._record(ctx, entity, record_id, lock=False)
        ectx = eval_context(self.repository, ctx)
        states: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        for workflow in self.flows.get(entity.name, ()):
            state = workflow.state_of(record)
            pending = None
            if workflow.has_approvals:
                pending = pending_approval(
                    ctx.conn, self.app, entity.name, record_id, workflow.name
                )
            states.append(
                {
                    "workflow": workflow.name,
                    "field": workflow.field,
                    "state": state,
                    "pending": pending.as_json() if pending is not None else None,
                }
            )
            at = Situation(entity.entity, state, record, ectx, ctx.roles, pending)
            for t in workflow.transitions.values():
                d = t.definition
                if state not in d.from_states or not t.allows(ctx.roles):
                    continue
                problem = transition_problem(t, at, Mode.PROBE)
                items.append(
                    {
                        "name": d.name,
                        "label": d.label,
                        "workflow": workflow.name,
                        "from": state,
                        "to": d.to,
                        "guard": guard_passes(t, record, ectx),
                        "missing": missing_fields(t, record),
                        "approval": t.approval_role(record, ectx),
                        "ready": problem is None,
                        "reason": problem.message if problem is not None else None,
                    }
                )
        return {"entity": entity.name, "id": record_id, "states": states, "transitions": items}


def _decided(pending: Approval, status: str, ctx: SaveContext) -> Approval:
    return replace(pending, status=status, decided_by=ctx.user_id, decided_at=ctx.now)


__all__ = ["TransitionResult", "WorkflowRunner"]
