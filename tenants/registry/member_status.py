"""Every member of a tenant as its admins see them, and deactivating or reactivating one.

A deactivated member keeps their membership row (roles, teams, records they own) but
cannot sign in to the tenant and their API tokens for it stop working
(``identities.py`` and ``members.list_members`` skip them). The tenant's last active
admin cannot be deactivated, so a tenant always has someone to manage it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.tenants.registry.service import RegistryError, TenantRegistry

ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    """One member of a tenant, active or deactivated, with the manager's address."""

    user_id: int
    email: str
    name: str
    roles: tuple[str, ...]
    teams: tuple[str, ...]
    manager_id: int | None
    manager_email: str | None
    deactivated_at: datetime | None
    #: False when the account is off for every tenant (``users.is_active``).
    account_active: bool = True

    @property
    def active(self) -> bool:
        """Whether the member may sign in to this tenant."""
        return self.deactivated_at is None and self.account_active


def _query(registry: TenantRegistry, tenant_id: int) -> sa.Select[Any]:
    m, u = registry.memberships, registry.users
    return (
        sa.select(
            m.c.user_id,
            u.c.email,
            u.c.display_name,
            u.c.is_active,
            m.c.roles,
            m.c.teams,
            m.c.manager_id,
            m.c.deactivated_at,
        )
        .join(u, u.c.id == m.c.user_id)
        .where(m.c.tenant_id == tenant_id)
        .order_by(u.c.email)
    )


def list_people(
    registry: TenantRegistry, tenant_id: int, conn: sa.Connection | None = None
) -> list[Person]:
    """Every member of tenant ``tenant_id`` (deactivated ones too), by email."""
    if conn is None:
        with registry.connect() as own:
            rows = own.execute(_query(registry, tenant_id)).all()
    else:
        rows = conn.execute(_query(registry, tenant_id)).all()
    emails = {int(r.user_id): str(r.email) for r in rows}
    return [
        Person(
            user_id=int(r.user_id),
            email=str(r.email),
            name=str(r.display_name or r.email),
            roles=tuple(sorted(r.roles or ())),
            teams=tuple(r.teams or ()),
            manager_id=int(r.manager_id) if r.manager_id is not None else None,
            manager_email=emails.get(int(r.manager_id)) if r.manager_id is not None else None,
            deactivated_at=r.deactivated_at,
            account_active=bool(r.is_active),
        )
        for r in rows
    ]


def is_deactivated(registry: TenantRegistry, tenant_id: int, user_id: int) -> bool:
    """Whether ``user_id`` is a member of tenant ``tenant_id`` deactivated there."""
    m = registry.memberships
    query = sa.select(m.c.deactivated_at).where(m.c.tenant_id == tenant_id, m.c.user_id == user_id)
    with registry.connect() as conn:
        row = conn.execute(query).first()
    return row is not None and row.deactivated_at is not None


def set_member_active(
    registry: TenantRegistry,
    tenant: str,
    user_id: int,
    active: bool,
    *,
    actor: str,
    actor_user_id: int | None = None,
) -> Person:
    """Deactivate (``active=False``) or reactivate member ``user_id`` of ``tenant``.

    Audited as ``member.deactivate`` or ``member.reactivate``; doing what is already
    done changes nothing. Returns the member as they are now.

    Raises:
        RegistryError: unknown tenant or member, or the last active admin would go.
    """
    info = registry.get_tenant(tenant)
    if info is None:
        raise RegistryError(f"No tenant '{tenant}'.")
    m = registry.memberships
    with registry.connect(write=True) as conn, conn.begin():
        registry.lock_tenant(conn, info.id)  # the last-admin check and the write together
        people = {p.user_id: p for p in list_people(registry, info.id, conn)}
        person = people.get(user_id)
        if person is None:
            raise RegistryError(
                Translatable("No member with id %(id)s in this tenant.", id=user_id)
            )
        if (person.deactivated_at is None) == active:
            return person
        if not active and ADMIN_ROLE in person.roles:
            others = [
                p
                for p in people.values()
                if p.user_id != user_id and p.active and ADMIN_ROLE in p.roles
            ]
            if not others:
                raise RegistryError(
                    Translatable(
                        "%(email)s is the last active admin of this tenant and cannot be "
                        "deactivated: make another member an admin first.",
                        email=person.email,
                    )
                )
        stamp = None if active else registry.now()
        conn.execute(
            m.update()
            .where(m.c.tenant_id == info.id, m.c.user_id == user_id)
            .values(deactivated_at=stamp)
        )
        registry.audit.record(
            info.id,
            "member.reactivate" if active else "member.deactivate",
            actor=actor,
            actor_user_id=actor_user_id,
            target=f"user:{person.email}",
            detail={"roles": list(person.roles)},
            conn=conn,
        )
    registry.changed(tenant, "members")
    return Person(
        person.user_id,
        person.email,
        person.name,
        person.roles,
        person.teams,
        person.manager_id,
        person.manager_email,
        stamp,
        person.account_active,
    )


__all__ = ["ADMIN_ROLE", "Person", "is_deactivated", "list_people", "set_member_active"]
