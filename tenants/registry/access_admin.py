"""Role assignments and API token administration (``trellis user roles``, ``token list``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from trellis.tenants.registry.service import RegistryError, TenantRegistry
from trellis.tenants.registry.tokens import token_digest

#: ``last_used_at`` is written at most this often per token (a write per request is too many).
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One API token as ``trellis token list`` shows it (never the secret)."""

    id: int
    email: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def change_roles(
    registry: TenantRegistry,
    tenant: str,
    email: str,
    *,
    add: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    actor: str | None = None,
) -> list[str]:
    """Add and remove roles of member ``email`` of ``tenant``; returns the new roles.

    Audited as ``roles.change`` by ``actor`` (default ``cli``) when the roles change.

    Raises:
        RegistryError: unknown tenant or user, or the user is not a member.
    """
    info = registry.get_tenant(tenant)
    if info is None:
        raise RegistryError(f"No tenant '{tenant}'.")
    user_id = registry.user_id(email)
    if user_id is None:
        raise RegistryError(f"No user '{email}'.")
    m = registry.memberships
    with registry.connect(write=True) as conn, conn.begin():
        registry.lock_tenant(conn, info.id)  # concurrent changes must not lose roles
        row = conn.execute(
            sa.select(m.c.id, m.c.roles).where(m.c.tenant_id == info.id, m.c.user_id == user_id)
        ).first()
        if row is None:
            raise RegistryError(f"User '{email}' is not a member of tenant '{tenant}'.")
        before = sorted(row.roles or ())
        roles = sorted((set(before) | set(add)) - set(remove))
        if roles != before:
            conn.execute(m.update().where(m.c.id == row.id).values(roles=roles))
            registry.audit.record(
                info.id,
                "roles.change",
                actor=actor,
                target=f"user:{email.strip().lower()}",
                detail={"before": before, "after": roles},
                conn=conn,
            )
    if roles != before:
        registry.changed(tenant, "roles")
    return roles


def list_tokens(registry: TenantRegistry, tenant: str) -> list[TokenRow]:
    """Every API token of ``tenant`` (revoked ones included), oldest first."""
    info = registry.get_tenant(tenant)
    if info is None:
        raise RegistryError(f"No tenant '{tenant}'.")
    k, u = registry.tokens, registry.users
    query = (
        sa.select(
            k.c.id,
            u.c.email,
            k.c.prefix,
            k.c.created_at,
            k.c.expires_at,
            k.c.revoked_at,
            k.c.last_used_at,
        )
        .join(u, u.c.id == k.c.user_id)
        .where(k.c.tenant_id == info.id)
        .order_by(k.c.id)
    )
    with registry.connect() as conn:
        rows = conn.execute(query).all()
    return [TokenRow(int(r.id), *tuple(r)[1:]) for r in rows]


def revoke_token(
    registry: TenantRegistry, tenant: str, token_or_id: str, *, actor: str | None = None
) -> int:
    """Revoke a token of ``tenant`` given the token itself or its id; returns the id.

    Audited as ``token.revoke`` by ``actor`` (default ``cli``).

    Raises:
        RegistryError: no such token in this tenant.
    """
    info = registry.get_tenant(tenant)
    if info is None:
        raise RegistryError(f"No tenant '{tenant}'.")
    k = registry.tokens
    match = (
        k.c.id == int(token_or_id)
        if token_or_id.isdigit()
        else k.c.token_hash == token_digest(token_or_id)
    )
    with registry.connect(write=True) as conn, conn.begin():
        row = conn.execute(
            sa.select(k.c.id, k.c.revoked_at).where(match, k.c.tenant_id == info.id)
        ).first()
        if row is None:
            raise RegistryError(f"No such token in tenant '{tenant}'.")
        if row.revoked_at is None:
            conn.execute(k.update().where(k.c.id == row.id).values(revoked_at=registry.now()))
            registry.audit.record(
                info.id, "token.revoke", actor=actor, target=f"token:{row.id}", conn=conn
            )
    registry.changed(tenant, "tokens")
    return int(row.id)


def touch_token(registry: TenantRegistry, token_id: int, now: datetime | None = None) -> bool:
    """Set ``last_used_at`` unless it was set less than a minute ago (one cheap UPDATE).

    Returns whether it was set (the first use in that minute).
    """
    now = now or registry.now()
    k = registry.tokens
    with registry.connect(write=True) as conn, conn.begin():
        result = conn.execute(
            k.update()
            .where(
                k.c.id == token_id,
                sa.or_(k.c.last_used_at.is_(None), k.c.last_used_at < now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
        )
    return bool(result.rowcount)


__all__ = [
    "LAST_USED_RESOLUTION",
    "TokenRow",
    "change_roles",
    "list_tokens",
    "revoke_token",
    "touch_token",
]
