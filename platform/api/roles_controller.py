"""``GET``/``PUT /t/{t}/api/_roles``: the tenant's roles file (platform/services/roles.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, put
from litestar.params import RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import parse_object
from trellis.platform.records.errors import BadRequestError
from trellis.platform.services.roles import check_roles_body, current_roles, replace_roles


class RolesController(Controller):
    """``_roles``: tenant admins only."""

    path = "/_roles"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "change roles"}

    @get("/", sync_to_thread=True)
    def show_roles(self, services: AppServices, call: Caller) -> dict[str, Any]:
        return current_roles(services.runtime, call.tenant)

    @put("/", sync_to_thread=True)
    def update_roles(self, services: AppServices, call: Caller, body: RawBody) -> dict[str, Any]:
        if not body.strip():
            raise BadRequestError('Send {"source": "<roles.yaml text>", "version": n}.')
        source, expected = check_roles_body(parse_object(body))
        actor = call.identity.email
        return replace_roles(services.runtime, call.tenant, source, expected, actor)


__all__ = ["RolesController"]
