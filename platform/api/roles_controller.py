"""``GET``/``PUT /t/{t}/api/_roles``: the tenant's roles file (platform/services/roles.py)."""

from __future__ import annotations

from litestar import Controller, Response, get, put
from litestar.params import RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, Api, Caller, admin_only
from trellis.platform.api.requests import parse_object
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.views import JSON, encode
from trellis.platform.services.roles import check_roles_body, current_roles, replace_roles


class RolesController(Controller):
    """``_roles``: tenant admins only."""

    path = "/_roles"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "change roles"}

    @get("/", sync_to_thread=True)
    def show_roles(self, api: Api, call: Caller) -> Response[bytes]:
        body = current_roles(api.runtime, call.tenant)
        return Response(content=encode(body), status_code=200, media_type=JSON)

    @put("/", sync_to_thread=True)
    def update_roles(self, api: Api, call: Caller, body: RawBody) -> Response[bytes]:
        if not body.strip():
            raise BadRequestError('Send {"source": "<roles.yaml text>", "version": n}.')
        source, expected = check_roles_body(parse_object(body))
        actor = call.identity.email
        answer = replace_roles(api.runtime, call.tenant, source, expected, actor)
        return Response(content=encode(answer), status_code=200, media_type=JSON)


__all__ = ["RolesController"]
