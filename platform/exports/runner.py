"""The ``export`` outbox handler's entry point: runs a queued export as the member who asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.authz import Authorizer, EnforcerCache
from trellis.platform.authz.call import Call
from trellis.platform.authz.directory import MemberDirectory
from trellis.platform.exports.jobs import run_export_job

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def run_queued_export(runtime: Runtime, tenant: str, payload: dict[str, Any]) -> None:
    """Run the export of an ``export`` outbox row (see ``jobs.run_export_job``)."""
    authz = Authorizer(
        EnforcerCache(store=runtime.policies),
        directory=MemberDirectory(runtime.registry, clock=runtime.clock),
        clock=runtime.clock,
    )

    def call_of(name: str, user_id: int | None) -> Call | None:
        if user_id is None:
            return None
        identity = runtime.registry.member_identity(name, int(user_id))
        if identity is None:
            return None
        rt = runtime.app_runtime(name)
        return Call(identity, rt, authz.access(name, rt.app, identity.user_id, identity.roles))

    run_export_job(runtime, call_of, tenant, payload)


__all__ = ["run_queued_export"]
