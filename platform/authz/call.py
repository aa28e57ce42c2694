"""An authenticated call on one tenant's app: who asks, on which app, with what access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.authz.authorizer import Access
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import NotFoundError
from trellis.platform.records.principal import Member
from trellis.platform.records.views import record_json
from trellis.tenants.registry import TokenIdentity

if TYPE_CHECKING:
    from trellis.platform.runtime.app_runtime import AppRuntime


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated call on one tenant's app."""

    identity: TokenIdentity
    #: The tenant's app version the call runs on, with what is built from it.
    rt: AppRuntime
    #: What the caller's roles allow (Casbin decisions, scopes, field access).
    access: Access
    #: How the caller reaches us (change rows' ``source``): ``api`` or ``form`` (screens).
    source: str = "api"

    @property
    def app(self) -> CompiledApp:
        """The compiled app of the call's version."""
        return self.rt.app

    @property
    def tenant(self) -> str:
        """The tenant's name."""
        return self.rt.tenant

    @property
    def member(self) -> Member:
        """The caller as the principal of the saves they make."""
        return Member(self.identity.user_id, self.identity.roles, self.access)


def require_reachable(
    call: Call, conn: sa.Connection, entity: CompiledEntity, record_id: int
) -> None:
    """404 unless live record ``record_id`` is inside the caller's scope."""
    if not call.access.reachable(conn, entity, record_id):
        raise NotFoundError(f"No {entity.name} with id {record_id}.")


def visible_record(call: Call, entity: CompiledEntity, row: Any) -> dict[str, Any]:
    """The record JSON without the fields hidden from the caller."""
    return record_json(entity, row, call.access.entity(entity.name).columns)


__all__ = ["Call", "require_reachable", "visible_record"]
