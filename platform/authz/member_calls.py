"""Calls of members outside a request: what a background job runs as.

A queued import or export runs as the member who asked. ``member_calls`` builds their
:class:`Call` the way ``platform/services/caller.py`` does for requests (that package
imports the job runners, so they cannot import it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from trellis.platform.authz.authorizer import Authorizer
from trellis.platform.authz.call import Call
from trellis.platform.authz.directory import MemberDirectory
from trellis.platform.authz.enforcers import EnforcerCache

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

#: ``call_of(tenant, user_id)``: the member's call, or None when they are gone.
CallOf = Callable[[str, int | None], Call | None]


def member_calls(runtime: Runtime) -> CallOf:
    """A ``call_of`` over the tenant's current app and the member's current roles."""
    authz = Authorizer(
        EnforcerCache(store=runtime.policies),
        directory=MemberDirectory(runtime.registry, clock=runtime.clock),
        clock=runtime.clock,
    )

    def call_of(tenant: str, user_id: int | None) -> Call | None:
        if user_id is None:
            return None
        identity = runtime.registry.member_identity(tenant, int(user_id))
        if identity is None:
            return None
        rt = runtime.app_runtime(tenant)
        return Call(identity, rt, authz.access(tenant, rt, identity.user_id, identity.roles))

    return call_of


__all__ = ["CallOf", "member_calls"]
