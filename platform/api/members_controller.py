"""Admin routes for members: roles, teams, manager and attributes, changed at run time.

``GET /t/{t}/api/_users`` lists the tenant's members; ``GET /t/{t}/api/_users/{id}``
shows one; ``PATCH /t/{t}/api/_users/{id}`` with any of ``{"roles": [...],
"teams": [...], "manager": "email" | null, "attributes": {"region": "EU"}}`` changes
them (an attribute set to null or "" is removed). Only tenant admins may use them;
changes are audited and take effect at once in this process, within 2 seconds in others.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, patch
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import parse_object
from trellis.platform.records.errors import BadRequestError, NotFoundError


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
    def list_users(self, services: AppServices, call: Caller) -> dict[str, Any]:
        return {"items": services.members.list(call)}

    @get("/{member:str}", sync_to_thread=True)
    def show_user(
        self, services: AppServices, call: Caller, member: FromPath[str]
    ) -> dict[str, Any]:
        return services.members.show(call, _member_id(member))

    @patch("/{member:str}", sync_to_thread=True)
    def update_user(
        self, services: AppServices, call: Caller, member: FromPath[str], body: RawBody
    ) -> dict[str, Any]:
        if not body.strip():
            raise BadRequestError(
                Translatable("Send a JSON object with roles, teams, manager or attributes.")
            )
        return services.members.update(call, _member_id(member), parse_object(body))


__all__ = ["MembersController"]
