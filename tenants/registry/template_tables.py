"""System table of template installs: which template version a tenant runs, with its files."""

from __future__ import annotations

import sqlalchemy as sa


def build_template_tables(md: sa.MetaData) -> None:
    """Add ``template_installs``: one row per install or upgrade; the newest is the base
    of the next three-way upgrade (platform/app_packages/)."""
    table = sa.Table(
        "template_installs",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("metadata_version", sa.Integer(), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("installed_by", sa.String(254), nullable=True),
    )
    sa.Index(None, table.c.tenant_id, table.c.id)


__all__ = ["build_template_tables"]
