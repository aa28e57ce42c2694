"""Who holds a role, and moving every holder of a role to a new name.

Both work on a connection the caller gives, so that a role's rename or removal and the
registry rows that go with it commit in one transaction (the caller holds the tenant's
registry lock, :meth:`TenantRegistry.lock_tenant`). Members and pending invitations
count as holders; a deactivated member still holds the role (reactivation keeps it).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from trellis.tenants.registry.service import TenantRegistry


@dataclass(frozen=True, slots=True)
class RoleHolders:
    """The members (by user id -> e-mail) and the invited addresses holding one role."""

    members: dict[int, str]
    invited: tuple[str, ...]

    def emails(self) -> list[str]:
        """Every holder's address, members first (each once)."""
        return list(dict.fromkeys([*self.members.values(), *self.invited]))


def _invitations(registry: TenantRegistry) -> sa.Table:
    return registry.metadata.tables["member_invitations"]


def role_holders(
    registry: TenantRegistry, conn: sa.Connection, tenant_id: int, role: str
) -> RoleHolders:
    """Who holds ``role`` in tenant ``tenant_id``: members, and invitations not yet used."""
    m, u, inv = registry.memberships, registry.users, _invitations(registry)
    rows = conn.execute(
        sa.select(m.c.user_id, u.c.email, m.c.roles)
        .join(u, u.c.id == m.c.user_id)
        .where(m.c.tenant_id == tenant_id)
        .order_by(u.c.email)
    )
    members = {int(r.user_id): str(r.email) for r in rows if role in (r.roles or ())}
    pending = conn.execute(
        sa.select(inv.c.email, inv.c.roles)
        .where(inv.c.tenant_id == tenant_id, inv.c.used_at.is_(None), inv.c.revoked_at.is_(None))
        .order_by(inv.c.email)
    )
    invited = tuple(str(r.email) for r in pending if role in (r.roles or ()))
    return RoleHolders(members, invited)


def move_role(
    registry: TenantRegistry,
    conn: sa.Connection,
    tenant_id: int,
    old: str,
    new: str,
    *,
    actor: str | None,
) -> dict[int, list[str]]:
    """Give every holder of ``old`` the role ``new`` instead; returns user id -> new roles.

    Pending invitations move too. Each member's change is audited as ``roles.change``.
    """
    m, u, inv = registry.memberships, registry.users, _invitations(registry)
    moved: dict[int, list[str]] = {}
    rows = conn.execute(
        sa.select(m.c.id, m.c.user_id, m.c.roles, u.c.email)
        .join(u, u.c.id == m.c.user_id)
        .where(m.c.tenant_id == tenant_id)
    ).all()
    for row in rows:
        before = sorted(row.roles or ())
        if old not in before:
            continue
        after = sorted({*before, new} - {old})
        conn.execute(m.update().where(m.c.id == row.id).values(roles=after))
        registry.audit.record(
            tenant_id,
            "roles.change",
            actor=actor,
            target=f"user:{row.email}",
            detail={"before": before, "after": after, "renamed": {old: new}},
            conn=conn,
        )
        moved[int(row.user_id)] = after
    pending = conn.execute(
        sa.select(inv.c.id, inv.c.roles).where(
            inv.c.tenant_id == tenant_id, inv.c.used_at.is_(None), inv.c.revoked_at.is_(None)
        )
    ).all()
    for invite in pending:
        if old in (invite.roles or ()):
            roles = sorted({*invite.roles, new} - {old})
            conn.execute(inv.update().where(inv.c.id == invite.id).values(roles=roles))
    return moved


__all__ = ["RoleHolders", "move_role", "role_holders"]
