"""Tenant members changed at run time by admins: roles, teams, manager and attributes.

Changes are audited and take effect at once in this process (the member directory is
forgotten, the Casbin rows rewritten), within 2 seconds in others.
"""

from __future__ import annotations

from typing import Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import Authorizer
from trellis.platform.authz.call import Call
from trellis.platform.authz.enforcers import store_roles
from trellis.platform.records.errors import NotFoundError, ValidationFailedError
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.access_admin import change_roles
from trellis.tenants.registry.members import MemberProfile, list_members, update_member

FIELDS = ("roles", "teams", "manager", "attributes")


def _members(runtime: Runtime, call: Call) -> dict[int, MemberProfile]:
    tenant_id = runtime.tenant(call.tenant).id
    return {p.user_id: p for p in list_members(runtime.registry, tenant_id)}


def _shown(members: dict[int, MemberProfile], member: MemberProfile) -> dict[str, Any]:
    boss = members.get(member.manager_id) if member.manager_id is not None else None
    return member.as_json(boss.email if boss else None)


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


def _update(
    runtime: Runtime, authz: Authorizer, call: Call, member_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Apply a ``PATCH _users/{id}`` body and return the member as it is now."""
    _check_body(call, body)
    members = _members(runtime, call)
    member = members.get(member_id)
    if member is None:
        raise NotFoundError(Translatable("No member with id %(id)s in this tenant.", id=member_id))
    if member_id == call.identity.user_id and "roles" in body and "admin" not in body["roles"]:
        raise ValidationFailedError({"roles": ["You cannot remove your own admin role."]})
    registry = runtime.registry
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
            manager = body.get("manager") if "manager" in body else None
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
    if authz.directory is not None:
        authz.directory.forget(call.tenant)
    members = _members(runtime, call)
    if "roles" in body:
        store_roles(runtime.policies, call.tenant, member_id, members[member_id].roles)
    return _shown(members, members[member_id])


class MembersService:
    """The tenant's members as admins see and change them (JSON-ready values)."""

    def __init__(self, runtime: Runtime, authz: Authorizer) -> None:
        self.runtime = runtime
        self.authz = authz

    def list(self, call: Call) -> list[dict[str, Any]]:
        """Every member of the caller's tenant."""
        members = _members(self.runtime, call)
        return [_shown(members, m) for m in members.values()]

    def show(self, call: Call, member_id: int) -> dict[str, Any]:
        """One member (404 when not a member of this tenant)."""
        members = _members(self.runtime, call)
        found = members.get(member_id)
        if found is None:
            raise NotFoundError(
                Translatable("No member with id %(id)s in this tenant.", id=member_id)
            )
        return _shown(members, found)

    def update(self, call: Call, member_id: int, body: dict[str, Any]) -> dict[str, Any]:
        """Change roles, teams, manager or attributes (422 naming each bad key)."""
        return _update(self.runtime, self.authz, call, member_id, body)


__all__ = ["FIELDS", "MembersService"]
