"""Admin routes for members: roles, teams, manager and attributes, changed at run time.

``GET /t/{t}/api/_users`` lists the tenant's members; ``GET /t/{t}/api/_users/{id}``
shows one; ``PATCH /t/{t}/api/_users/{id}`` with any of ``{"roles": [...],
"teams": [...], "manager": "email" | null, "attributes": {"region": "EU"}}`` changes
them (an attribute set to null or "" is removed). Only tenant admins may use them;
changes are audited and take effect at once in this process, within 2 seconds in others.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, patch
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, Api, Caller, admin_only
from trellis.platform.api.requests import parse_object
from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.authz.call import Call
from trellis.platform.authz.enforcers import store_roles
from trellis.platform.records.errors import (
    BadRequestError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.records.views import JSON, encode
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.access_admin import change_roles
from trellis.tenants.registry.members import MemberProfile, list_members, update_member

FIELDS = ("roles", "teams", "manager", "attributes")


def _members(api: TenantApi, call: Call) -> dict[int, MemberProfile]:
    tenant_id = api.runtime.tenant(call.tenant).id
    return {p.user_id: p for p in list_members(api.runtime.registry, tenant_id)}


def _shown(members: dict[int, MemberProfile], member: MemberProfile) -> dict[str, Any]:
    boss = members.get(member.manager_id) if member.manager_id is not None else None
    return member.as_json(boss.email if boss else None)


def _member_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError(f"No member with id '{raw}'.")
    return int(raw)


def _check_body(call: Call, body: dict[str, Any]) -> None:
    """422 naming each bad key; unknown keys are refused too."""
    errors: dict[str, list[str]] = {}
    for key in body:
        if key not in FIELDS:
            errors[key] = [f"Unknown key; use {', '.join(FIELDS)}."]
    roles = body.get("roles")
    if "roles" in body:
        known = {"admin", *call.app.model.roles}
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            errors["roles"] = ["Must be a list of role names."]
        else:
            unknown = sorted(set(roles) - known)
            if unknown:
                errors["roles"] = [f"Unknown role '{unknown[0]}'."]
    if "teams" in body and not (
        isinstance(body["teams"], list) and all(isinstance(t, str) for t in body["teams"])
    ):
        errors["teams"] = ["Must be a list of team names."]
    if "manager" in body and not (body["manager"] is None or isinstance(body["manager"], str)):
        errors["manager"] = ["Must be the manager's email address, or null."]
    if "attributes" in body and not isinstance(body["attributes"], dict):
        errors["attributes"] = ['Must be an object, e.g. {"region": "EU"}.']
    if errors:
        raise ValidationFailedError(errors)


def update_body(api: TenantApi, call: Call, member_id: int, raw: bytes) -> dict[str, Any]:
    """Apply a ``PATCH _users/{id}`` and return the member as it is now."""
    body = parse_object(raw)
    _check_body(call, body)
    members = _members(api, call)
    member = members.get(member_id)
    if member is None:
        raise NotFoundError(f"No member with id {member_id} in this tenant.")
    if member_id == call.identity.user_id and "roles" in body and "admin" not in body["roles"]:
        raise ValidationFailedError({"roles": ["You cannot remove your own admin role."]})
    registry = api.runtime.registry
    actor = call.identity.email
    try:
        if "roles" in body:
            wanted = set(body["roles"])
            change_roles(
                registry,
                call.tenant,
                member.email,
                add=tuple(sorted(wanted - set(member.roles))),
                remove=tuple(sorted(set(member.roles) - wanted)),
                actor=actor,
            )
        if any(k in body for k in ("teams", "manager", "attributes")):
            manager = body.get("manager", None) if "manager" in body else None
            update_member(
                registry,
                call.tenant,
                member_id,
                teams=body.get("teams"),
                manager=("" if manager is None else manager) if "manager" in body else None,
                attributes=body.get("attributes"),
                actor=actor,
                actor_user_id=call.identity.user_id,
            )
    except RegistryError as exc:
        key = next((k for k in ("manager", "teams", "attributes", "roles") if k in body), "")
        raise ValidationFailedError({key or "__all__": [str(exc)]}) from None
    if api.authz.directory is not None:
        api.authz.directory.forget(call.tenant)
    members = _members(api, call)
    if "roles" in body:
        store_roles(api.runtime.policies, call.tenant, member_id, members[member_id].roles)
    return _shown(members, members[member_id])


class MembersController(Controller):
    """``_users``: tenant admins only."""

    path = "/_users"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "manage members"}

    @get("/", sync_to_thread=True)
    def list_users(self, api: Api, call: Caller) -> Response[bytes]:
        members = _members(api, call)
        items = [_shown(members, m) for m in members.values()]
        return Response(content=encode({"items": items}), status_code=200, media_type=JSON)

    @get("/{member:str}", sync_to_thread=True)
    def show_user(self, api: Api, call: Caller, member: FromPath[str]) -> Response[bytes]:
        members = _members(api, call)
        found = members.get(_member_id(member))
        if found is None:
            raise NotFoundError(f"No member with id {member} in this tenant.")
        return Response(content=encode(_shown(members, found)), status_code=200, media_type=JSON)

    @patch("/{member:str}", sync_to_thread=True)
    def update_user(
        self, api: Api, call: Caller, member: FromPath[str], body: RawBody
    ) -> Response[bytes]:
        if not body.strip():
            raise BadRequestError("Send a JSON object with roles, teams, manager or attributes.")
        answer = update_body(api, call, _member_id(member), body)
        return Response(content=encode(answer), status_code=200, media_type=JSON)


__all__ = ["MembersController", "update_body"]
