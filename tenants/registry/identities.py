"""Who a token or a session speaks for: the member, tenant and roles behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from trellis.tenants.registry.entries import TokenIdentity, aware
from trellis.tenants.registry.tokens import token_digest

if TYPE_CHECKING:
    from trellis.tenants.registry.service import TenantRegistry


def token_identity(registry: TenantRegistry, token: str) -> TokenIdentity | None:
    """Return who ``token`` speaks for, or None when unknown, revoked or expired."""
    k, u, t, m = registry.tokens, registry.users, registry.tenants, registry.memberships
    query = (
        sa.select(
            k.c.id,
            k.c.user_id,
            k.c.tenant_id,
            k.c.expires_at,
            k.c.revoked_at,
            u.c.email,
            u.c.is_active,
            t.c.name,
            m.c.roles,
            m.c.deactivated_at,
        )
        .join(u, u.c.id == k.c.user_id)
        .join(t, t.c.id == k.c.tenant_id)
        .join(m, sa.and_(m.c.user_id == k.c.user_id, m.c.tenant_id == k.c.tenant_id))
        .where(k.c.token_hash == token_digest(token))
    )
    with registry.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.revoked_at is not None or not row.is_active:
        return None
    if row.deactivated_at is not None:  # the member was deactivated in this tenant
        return None
    expires_at = aware(row.expires_at)
    if expires_at is not None and expires_at <= registry.now():
        return None
    return TokenIdentity(
        int(row.id),
        int(row.user_id),
        row.email,
        int(row.tenant_id),
        row.name,
        tuple(row.roles),
        expires_at,
    )


def member_identity(registry: TenantRegistry, tenant: str, user_id: int) -> TokenIdentity | None:
    """Who an active member ``user_id`` of ``tenant`` is (for sessions; ``token_id`` 0)."""
    u, t, m = registry.users, registry.tenants, registry.memberships
    query = (
        sa.select(u.c.email, u.c.is_active, t.c.id, t.c.name, m.c.roles, m.c.deactivated_at)
        .join(m, m.c.user_id == u.c.id)
        .join(t, t.c.id == m.c.tenant_id)
        .where(u.c.id == user_id, t.c.name == tenant)
    )
    with registry.connect() as conn:
        row = conn.execute(query).first()
    if row is None or not row.is_active or row.deactivated_at is not None:
        return None
    return TokenIdentity(0, user_id, row.email, int(row.id), row.name, tuple(row.roles or ()), None)


__all__ = ["member_identity", "token_identity"]
