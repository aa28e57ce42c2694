"""Admin routes for members: roles, teams, manager and attributes, changed at run time.

``GET /t/{t}/api/_users`` lists the tenant's members; ``GET /t/{t}/api/_users/{id}``
shows one; ``PATCH /t/{t}/api/_users/{id}`` with any of ``{"roles": [...],
"teams": [...], "manager": "email" | null, "attributes": {"region": "EU"}}`` changes
them (an attribute set to null or "" is removed). Only tenant admins may use them;
changes are audited and take effect at once in this process, within 2 seconds in others.
"""

from __future__ import annotations

from litestar import Controller, Response, get, patch
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, Api, Caller, admin_only
from trellis.platform.api.requests import parse_object
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.views import JSON, encode


def _member_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError(Translatable("No member with id '%(id)s'.", id=raw))
    return int(raw)


class MembersController(Controller):
    """``_users``: tenant admins only."""

    path = "/_users"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "manage members"}

    @get("/", sync_to_thread=True)
    def list_users(self, api: Api, call: Caller) -> Response[bytes]:
        items = api.services.members.list(call)
        return Response(content=encode({"items": items}), status_code=200, media_type=JSON)

    @get("/{member:str}", sync_to_thread=True)
    def show_user(self, api: Api, call: Caller, member: FromPath[str]) -> Response[bytes]:
        found = api.services.members.show(call, _member_id(member))
        return Response(content=encode(found), status_code=200, media_type=JSON)

    @patch("/{member:str}", sync_to_thread=True)
    def update_user(
        self, api: Api, call: Caller, member: FromPath[str], body: RawBody
    ) -> Response[bytes]:
        if not body.strip():
            raise BadRequestError(
                Translatable("Send a JSON object with roles, teams, manager or attributes.")
            )
        answer = api.services.members.update(call, _member_id(member), parse_object(body))
        return Response(content=encode(answer), status_code=200, media_type=JSON)


__all__ = ["MembersController"]
