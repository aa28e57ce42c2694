"""Who calls: an authenticated identity turned into a :class:`Call` on the current app."""

from __future__ import annotations

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import Authorizer, EnforcerCache
from trellis.platform.authz.call import Call
from trellis.platform.authz.directory import MemberDirectory
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError
from trellis.platform.runtime import Runtime, TenantNotFoundError
from trellis.tenants.registry import TokenIdentity


class Callers:
    """Builds calls: the tenant's current app version and what the caller's roles allow."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.authz = Authorizer(
            EnforcerCache(store=runtime.policies),
            directory=MemberDirectory(runtime.registry, clock=runtime.clock),
            clock=runtime.clock,
        )
        runtime.on_forget(self.authz.forget)

    def call_as(self, tenant: str, identity: TokenIdentity) -> Call:
        """A call of an authenticated ``identity`` (a token or a session) on ``tenant``.

        Raises:
            NotFoundError: no such tenant, or nothing published yet.
        """
        try:
            rt = self.runtime.app_runtime(tenant)
        except TenantNotFoundError as exc:
            raise NotFoundError(str(exc)) from None
        access = self.authz.access(tenant, rt, identity.user_id, identity.roles)
        return Call(identity, rt, access)


def readable_entity(call: Call, name: str) -> CompiledEntity:
    """The entity ``name``: 404 when unknown, 403 when the caller may not read it."""
    entity = call.app.entities.get(name)
    if entity is None:
        raise NotFoundError(Translatable("No entity '%(name)s' in this tenant.", name=name))
    call.access.require(name, "read")
    return entity


__all__ = ["Callers", "readable_entity"]
