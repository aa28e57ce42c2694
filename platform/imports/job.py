"""The ``import`` outbox handler: runs a queued import as the member who started it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.authz import Authorizer, EnforcerCache
from trellis.platform.authz.call import Call
from trellis.platform.authz.directory import MemberDirectory
from trellis.platform.imports.background import run_import_job

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def run_queued_import(runtime: Runtime, tenant: str, payload: dict[str, Any]) -> None:
    """Run the import of an ``import`` outbox row (see ``background.run_import_job``)."""
    # The member's call as platform/services/caller.py builds it (that package imports
    # the job runner, so this module cannot import it).
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

    run_import_job(runtime, call_of, tenant, payload)


__all__ = ["run_queued_import"]
