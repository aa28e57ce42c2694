"""Member profiles per tenant: teams, manager and attributes (for ``team`` scope and ``user.x``).

A membership carries, besides its roles, the teams the member belongs to, the member's
manager (another member of the same tenant; the hierarchy may not loop) and text
attributes such as ``region`` that role conditions read as ``user.region``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from trellis.tenants.registry.service import RegistryError, TenantRegistry

#: Team and attribute names: letters, digits, ``_`` and ``-``, starting with a letter.
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,59}$")
#: Attribute names are identifiers (they are read as ``user.<name>`` in conditions).
ATTRIBUTE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ATTRIBUTE_LENGTH = 200
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class MemberProfile:
    """One member of a tenant as authorization needs it."""

    user_id: int
    email: str
    roles: tuple[str, ...]
    teams: tuple[str, ...] = ()
    manager_id: int | None = None
    attributes: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def as_json(self, manager_email: str | None = None) -> dict[str, Any]:
        """The profile as the admin API shows it."""
        return {
            "id": self.user_id,
            "email": self.email,
            "roles": list(self.roles),
            "teams": list(self.teams),
            "manager": manager_email,
            "manager_id": self.manager_id,
            "attributes": dict(self.attributes),
        }


def parse_attributes(pairs: list[str] | None) -> dict[str, str]:
    """Parse ``["region=EU", "tier=gold"]``; raises ``RegistryError`` on a bad pair."""
    found: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise RegistryError(f"Attribute '{pair}' is not NAME=VALUE (e.g. region=EU).")
        found[name.strip()] = value.strip()
    return check_attributes(found)


def check_attributes(values: Mapping[str, Any]) -> dict[str, str]:
    """Validate attribute names and values; an empty or null value removes the attribute."""
    checked: dict[str, str] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not ATTRIBUTE_RE.match(name):
            raise RegistryError(
                f"Attribute name '{name}' is not valid: use lower-case letters, digits "
                "and '_', starting with a letter (it is read as user.<name>)."
            )
        if value is None:
            checked[name] = ""
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise RegistryError(f"Attribute '{name}' must be text.")
        text = str(value)
        if len(text) > MAX_ATTRIBUTE_LENGTH:
            raise RegistryError(
                f"Attribute '{name}' is longer than {MAX_ATTRIBUTE_LENGTH} characters."
            )
        checked[name] = text
    return checked


def check_teams(teams: list[Any]) -> list[str]:
    """Validate team names; returns them sorted without duplicates."""
    for team in teams:
        if not isinstance(team, str) or not NAME_RE.match(team):
            raise RegistryError(
                f"Team name '{team}' is not valid: use letters, digits, '_' and '-', "
                "starting with a letter."
            )
    return sorted(set(teams))


def _profile(row: Any) -> MemberProfile:
    attributes = row.attributes if isinstance(row.attributes, dict) else {}
    return MemberProfile(
        user_id=int(row.user_id),
        email=row.email,
        roles=tuple(sorted(row.roles or ())),
        teams=tuple(row.teams or ()),
        manager_id=int(row.manager_id) if row.manager_id is not None else None,
        attributes=MappingProxyType({str(k): str(v) for k, v in attributes.items()}),
    )


def _tenant_id(registry: TenantRegistry, tenant: str) -> int:
    info = registry.get_tenant(tenant)
    if info is None:
        raise RegistryError(f"No tenant '{tenant}'.")
    return info.id


def list_members(
    registry: TenantRegistry, tenant_id: int, conn: sa.Connection | None = None
) -> list[MemberProfile]:
    """Every active member of tenant ``tenant_id`` (not deactivated), by user id."""
    m, u = registry.memberships, registry.users
    query = (
        sa.select(m.c.user_id, u.c.email, m.c.roles, m.c.teams, m.c.manager_id, m.c.attributes)
        .join(u, u.c.id == m.c.user_id)
        .where(
            m.c.tenant_id == tenant_id,
            u.c.is_active.is_(True),
            m.c.deactivated_at.is_(None),
        )
        .order_by(m.c.user_id)
    )
    if conn is not None:
        return [_profile(r) for r in conn.execute(query)]
    with registry.connect() as own:
        return [_profile(r) for r in own.execute(query)]


def get_member(registry: TenantRegistry, tenant: str, email: str) -> MemberProfile:
    """The profile of member ``email`` of ``tenant``; raises ``RegistryError`` otherwise."""
    tenant_id = _tenant_id(registry, tenant)
    user_id = registry.user_id(email)
    for member in list_members(registry, tenant_id):
        if member.user_id == user_id:
            return member
    raise RegistryError(f"User '{email}' is not a member of tenant '{tenant}'.")


def _would_loop(managers: Mapping[int, int | None], user_id: int, manager_id: int) -> bool:
    """Whether making ``manager_id`` the manager of ``user_id`` closes a reporting loop."""
    seen: set[int] = set()
    current: int | None = manager_id
    while current is not None and current not in seen:
        if current == user_id:
            return True
        seen.add(current)
        current = managers.get(current)
    return False


def update_member(
    registry: TenantRegistry,
    tenant: str,
    user: str | int,
    *,
    teams: list[Any] | None = None,
    add_teams: list[Any] | None = None,
    remove_teams: list[Any] | None = None,
    manager: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    actor: str | None = None,
    actor_user_id: int | None = None,
) -> MemberProfile:
    """Change a member's teams, manager (email; ``""`` clears it) or attributes.

    ``teams`` replaces the list; ``add_teams``/``remove_teams`` edit it. ``attributes``
    are merged (an empty value removes one). The change is audited as ``member.update``
    with before and after. Returns the new profile.

    Raises:
        RegistryError: unknown tenant, user or manager, a manager outside the tenant,
            a reporting loop, or a bad team or attribute name.
    """
    tenant_id = _tenant_id(registry, tenant)
    m = registry.memberships
    with registry.connect(write=True) as conn, conn.begin():
        registry.lock_tenant(conn, tenant_id)  # the loop check and the write under one lock
        members = {p.user_id: p for p in list_members(registry, tenant_id, conn)}
        by_email = {p.email: p for p in members.values()}
        target = members.get(user) if isinstance(user, int) else by_email.get(user.strip().lower())
        if target is None:
            raise RegistryError(f"User '{user}' is not a member of tenant '{tenant}'.")
        new_teams = list(target.teams) if teams is None else check_teams(teams)
        new_teams = check_teams(
            [
                *(t for t in new_teams if t not in (remove_teams or [])),
                *check_teams(add_teams or []),
            ]
        )
        manager_id = target.manager_id
        if manager is not None:
            if manager.strip() == "":
                manager_id = None
            else:
                boss = by_email.get(manager.strip().lower())
                if boss is None:
                    raise RegistryError(
                        f"Manager '{manager}' is not a member of tenant '{tenant}'."
                    )
                managers = {p.user_id: p.manager_id for p in members.values()}
                if _would_loop(managers, target.user_id, boss.user_id):
                    raise RegistryError(
                        f"'{manager}' cannot manage '{target.email}': "
                        "that would make a reporting loop."
                    )
                manager_id = boss.user_id
        new_attributes = dict(target.attributes)
        for name, value in check_attributes(attributes or {}).items():
            if value == "":
                new_attributes.pop(name, None)
            else:
                new_attributes[name] = value
        after = MemberProfile(
            target.user_id,
            target.email,
            target.roles,
            tuple(new_teams),
            manager_id,
            MappingProxyType(new_attributes),
        )
        if after != target:
            conn.execute(
                m.update()
                .where(m.c.tenant_id == tenant_id, m.c.user_id == target.user_id)
                .values(teams=new_teams, manager_id=manager_id, attributes=new_attributes)
            )

            def shown(p: MemberProfile) -> dict[str, Any]:
                boss = members.get(p.manager_id) if p.manager_id is not None else None
                body = p.as_json(boss.email if boss else None)
                return {k: body[k] for k in ("teams", "manager", "attributes")}

            registry.audit.record(
                tenant_id,
                "member.update",
                actor=actor,
                actor_user_id=actor_user_id,
                target=f"user:{target.email}",
                detail={"before": shown(target), "after": shown(after)},
                conn=conn,
            )
    if after != target:
        registry.changed(tenant, "members")
    return after


__all__ = [
    "MemberProfile",
    "check_attributes",
    "check_teams",
    "get_member",
    "list_members",
    "parse_attributes",
    "update_member",
]
