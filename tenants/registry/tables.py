"""Tables of the system database: tenants, users, memberships, tokens, versions, audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trellis.tenants.registry.draft_tables import build_draft_tables
from trellis.tenants.registry.identity_tables import build_identity_tables
from trellis.tenants.registry.invitation_tables import build_invitation_tables
from trellis.tenants.registry.preference_tables import build_preference_tables
from trellis.tenants.registry.template_tables import build_template_tables

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _pk() -> sa.Column[Any]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def build_system_metadata(schema: str | None = None) -> sa.MetaData:
    """Build the system tables, optionally inside ``schema``.

    Ids between system tables are plain columns without foreign keys: Alembic's
    create-table operations lose the schema of string foreign keys, and Citus keeps
    no foreign keys across distributed schemas anyway. The registry keeps them right.
    """
    md = sa.MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    sa.Table(
        "tenants",
        md,
        _pk(),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=True),
    )
    sa.Table(
        "users",
        md,
        _pk(),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "memberships",
        md,
        _pk(),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # Teams (a JSON list of names), the manager (a user id) and free-form text
        # attributes (``user.<name>`` in role conditions) of the member in this tenant.
        sa.Column("teams", sa.JSON(), nullable=True),
        sa.Column("manager_id", sa.BigInteger(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=True),
        # Set when a tenant admin deactivates the member: no sign-in, no API token here.
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("tenant_id", "user_id"),
    )
    tokens = sa.Table(
        "api_tokens",
        md,
        _pk(),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(None, tokens.c.tenant_id)
    sa.Table(
        "metadata_versions",
        md,
        _pk(),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("app_name", sa.String(100), nullable=False),
        sa.Column("app_version", sa.String(50), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(254), nullable=True),
        sa.UniqueConstraint("tenant_id", "version_no"),
    )
    audit = sa.Table(
        "audit_log",
        md,
        _pk(),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(300), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    sa.Index(None, audit.c.tenant_id, audit.c.id)
    _build_setting_tables(md)
    build_identity_tables(md)
    build_preference_tables(md)
    build_template_tables(md)
    build_draft_tables(md)
    build_invitation_tables(md)
    return md


def _build_setting_tables(md: sa.MetaData) -> None:
    """Per-tenant SMTP settings (the password encrypted, platform/jobs/crypto.py)."""
    sa.Table(
        "tenant_smtp",
        md,
        _pk(),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(255), nullable=True),
        sa.Column("password_encrypted", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(254), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


__all__ = ["build_system_metadata"]
