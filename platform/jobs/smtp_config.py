"""Per-tenant SMTP servers, kept in the system database (``tenant_smtp``).

``trellis tenant smtp TENANT --host H --port P [--tls] [--user U --password-env VAR]``
stores them; the password is encrypted at rest (:mod:`trellis.platform.jobs.crypto`).
A tenant without settings sends through ``TRELLIS_SMTP_URL``. ``--tls`` means
implicit TLS on port 465 and STARTTLS on any other port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from trellis.platform.jobs.crypto import decrypt, encrypt
from trellis.platform.jobs.mail import DEFAULT_SENDER, EmailError, SmtpSettings, default_smtp
from trellis.tenants.registry import TenantRegistry

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

#: Port of SMTP over implicit TLS ("smtps").
SMTPS_PORT = 465


def _table(registry: TenantRegistry) -> sa.Table:
    return registry.metadata.tables["tenant_smtp"]


def _tenant_id(registry: TenantRegistry, tenant: str) -> int:
    info = registry.get_tenant(tenant)
    if info is None:
        raise EmailError(f"No tenant '{tenant}'.")
    return info.id


def set_tenant_smtp(
    runtime: Runtime,
    tenant: str,
    *,
    host: str,
    port: int,
    tls: bool = False,
    user: str | None = None,
    password: str | None = None,
    sender: str | None = None,
) -> None:
    """Store (or replace) the SMTP server of ``tenant``.

    Raises:
        EmailError: unknown tenant, empty host, port out of range, or a password
            without a user.
    """
    if not host.strip() or any(c.isspace() for c in host):
        raise EmailError(f"SMTP host '{host}' is not valid.")
    if not 1 <= port <= 65535:
        raise EmailError(f"SMTP port {port} is not valid: use 1 to 65535.")
    if password is not None and not user:
        raise EmailError("An SMTP password needs a user: pass --user as well.")
    registry = runtime.registry
    tenant_id = _tenant_id(registry, tenant)
    secret = encrypt(runtime.config, password) if password is not None else None
    values = {
        "host": host.strip(),
        "port": port,
        "tls": tls,
        "username": user or None,
        "password_encrypted": secret,
        "sender": sender or None,
        "updated_at": runtime.clock.now(),
    }
    table = _table(registry)
    with registry.connect(write=True) as conn, conn.begin():
        updated = conn.execute(table.update().where(table.c.tenant_id == tenant_id).values(values))
        if updated.rowcount == 0:
            conn.execute(table.insert().values(tenant_id=tenant_id, **values))


def clear_tenant_smtp(runtime: Runtime, tenant: str) -> bool:
    """Forget the tenant's server (it falls back to ``TRELLIS_SMTP_URL``)."""
    registry = runtime.registry
    tenant_id = _tenant_id(registry, tenant)
    table = _table(registry)
    with registry.connect(write=True) as conn, conn.begin():
        return conn.execute(table.delete().where(table.c.tenant_id == tenant_id)).rowcount == 1


def tenant_smtp(runtime: Runtime, tenant: str) -> SmtpSettings | None:
    """The tenant's own SMTP server with the password decrypted, or None."""
    registry = runtime.registry
    table = _table(registry)
    tenants = registry.tenants
    query = (
        sa.select(table)
        .join(tenants, tenants.c.id == table.c.tenant_id)
        .where(tenants.c.name == tenant)
    )
    with registry.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    default = default_smtp(runtime.config)
    implicit = bool(row.tls) and int(row.port) == SMTPS_PORT
    password = None
    if row.password_encrypted:
        password = decrypt(runtime.config, row.password_encrypted)
    return SmtpSettings(
        host=row.host,
        port=int(row.port),
        ssl=implicit,
        starttls=bool(row.tls) and not implicit,
        user=row.username,
        password=password,
        sender=row.sender or (default.sender if default else DEFAULT_SENDER),
    )


def smtp_for(runtime: Runtime, tenant: str) -> SmtpSettings | None:
    """The server a tenant's mail goes through: its own, else ``TRELLIS_SMTP_URL``."""
    return tenant_smtp(runtime, tenant) or default_smtp(runtime.config)


def describe_smtp(runtime: Runtime, tenant: str) -> str:
    """One line saying where the tenant's mail goes (never the password)."""
    own = tenant_smtp(runtime, tenant)
    if own is None:
        default = default_smtp(runtime.config)
        if default is None:
            return f"{tenant}: no SMTP server (set TRELLIS_SMTP_URL or trellis tenant smtp)"
        return f"{tenant}: TRELLIS_SMTP_URL {default.host}:{default.port}"
    mode = "tls" if own.ssl else "starttls" if own.starttls else "plain"
    user = f" user {own.user}" if own.user else ""
    return f"{tenant}: {own.host}:{own.port} {mode}{user}"


__all__ = [
    "SMTPS_PORT",
    "clear_tenant_smtp",
    "describe_smtp",
    "set_tenant_smtp",
    "smtp_for",
    "tenant_smtp",
]
