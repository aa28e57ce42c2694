"""System table of member invitations: who was invited to which tenant, with which roles.

The link mailed to the invitee names a row by id and carries its expiry, signed with
the deployment's secret (``platform/people/invitations.py``); ``used_at`` makes the link
single-use and ``revoked_at`` ends it early (a newer invitation to the same address).
"""

from __future__ import annotations

import sqlalchemy as sa


def build_invitation_tables(md: sa.MetaData) -> None:
    """Add ``member_invitations`` to ``md``."""
    table = sa.Table(
        "member_invitations",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(10), nullable=True),
        sa.Column("invited_by", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(None, table.c.tenant_id, table.c.email)


__all__ = ["build_invitation_tables"]
