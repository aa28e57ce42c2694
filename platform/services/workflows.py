"""Workflow operations of a caller: run, approve, reject and list transitions of a record.

One place for what the JSON API and the screens both do: check the action and the
record's scope, then run the app version's :class:`WorkflowRunner` in a transaction of
the tenant's database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from trellis.platform.authz.call import Call, require_reachable
from trellis.platform.automation import record_service
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.service import SaveContext
from trellis.platform.runtime import PartKey, Runtime
from trellis.platform.workflows import TransitionResult, WorkflowRunner

T = TypeVar("T")
_RUNNER: PartKey[WorkflowRunner] = PartKey("workflows.runner")


class WorkflowsService:
    """Transition operations on behalf of authenticated calls (one runner per version)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def runner(self, call: Call) -> WorkflowRunner:
        """The workflow runner of the call's app version."""
        return call.rt.part(_RUNNER, lambda rt: WorkflowRunner(rt.app, record_service(rt)))

    def _in_transaction(
        self, call: Call, work: Callable[[SaveContext], T], *, write: bool = True
    ) -> T:
        engines = self.runtime.engines
        with engines.tenant_connection(call.tenant, write=write) as conn, conn.begin():
            now = self.runtime.clock.now()
            ctx = SaveContext(conn, call.member, now)
            return work(ctx)

    def check(self, call: Call, entity: CompiledEntity, record_id: int, action: str) -> None:
        """Require ``action`` on the entity and the record inside the caller's scope.

        Raises:
            ForbiddenError: the role lacks ``action``.
            NotFoundError: the record is deleted or outside the caller's scope.
        """
        call.access.require(entity.name, action)
        with self.runtime.engines.tenant_connection(call.tenant) as conn:
            require_reachable(call, conn, entity, record_id)

    def run(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        name: str,
        data: dict[str, Any],
        version: int | None,
    ) -> TransitionResult:
        """Run transition ``name`` (see :meth:`WorkflowRunner.run` for what it raises)."""
        self.check(call, entity, record_id, "update")
        return self._in_transaction(
            call, lambda ctx: self.runner(call).run(ctx, entity, record_id, name, data, version)
        )

    def approve(
        self, call: Call, entity: CompiledEntity, record_id: int, name: str
    ) -> TransitionResult:
        """Approve the pending request of transition ``name`` and run it."""
        self.check(call, entity, record_id, "update")
        return self._in_transaction(
            call, lambda ctx: self.runner(call).approve(ctx, entity, record_id, name)
        )

    def reject(
        self, call: Call, entity: CompiledEntity, record_id: int, name: str
    ) -> TransitionResult:
        """Reject the pending request of transition ``name``."""
        self.check(call, entity, record_id, "update")
        return self._in_transaction(
            call, lambda ctx: self.runner(call).reject(ctx, entity, record_id, name)
        )

    def available(self, call: Call, entity: CompiledEntity, record_id: int) -> dict[str, Any]:
        """The record's workflow states and the transitions the caller may run."""
        self.check(call, entity, record_id, "read")
        return self._in_transaction(
            call, lambda ctx: self.runner(call).available(ctx, entity, record_id), write=False
        )


__all__ = ["WorkflowsService"]
