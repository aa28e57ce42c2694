"""Workflow operations of a caller: run, approve, reject and list transitions of a record.

One place for what the JSON API (``workflows_controller``) and the screens both do: check
the action and the record's scope, then run the :class:`WorkflowRunner` in a
transaction of the tenant's database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.authz.call import Call
from trellis.platform.automation import build_hooks
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.workflows import TransitionResult, WorkflowRunner

T = TypeVar("T")


class WorkflowOps:
    """Transition operations on behalf of authenticated calls (one runner per app)."""

    def __init__(self, api: TenantApi) -> None:
        self.api = api
        self._runners: WeakKeyDictionary[CompiledApp, WorkflowRunner] = WeakKeyDictionary()

    def runner(self, call: Call) -> WorkflowRunner:
        """The workflow runner of the caller's compiled app."""
        found = self._runners.get(call.app)
        if found is None:
            service = RecordService(call.app, build_hooks(call.app))
            found = self._runners.setdefault(call.app, WorkflowRunner(service))
        return found

    def _in_transaction(
        self, call: Call, work: Callable[[SaveContext], T], *, write: bool = True
    ) -> T:
        engines = self.api.runtime.engines
        with engines.tenant_connection(call.tenant, write=write) as conn, conn.begin():
            now = self.api.runtime.clock.now()
            ctx = SaveContext(conn, call.identity.user_id, now, roles=call.identity.roles)
            return work(ctx)

    def check(self, call: Call, entity: CompiledEntity, record_id: int, action: str) -> None:
        """Require ``action`` on the entity and the record inside the caller's scope.

        Raises:
            ForbiddenError: the role lacks ``action``.
            NotFoundError: the record is deleted or outside the caller's scope.
        """
        call.access.require(entity.name, action)
        with self.api.runtime.engines.tenant_connection(call.tenant) as conn:
            self.api.reachable(call, conn, entity, record_id)

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


__all__ = ["WorkflowOps"]
