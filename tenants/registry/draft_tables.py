"""System tables of the metadata lifecycle: the tenant's draft, publish lock, version notes.

* ``metadata_drafts``: one row per tenant with a draft: its revision (the optimistic
  lock that ``If-Match`` checks), the version it was started from, who saved last.
* ``metadata_draft_files``: the draft's changed files (``text`` NULL = deleted), each
  with who changed it and at which revision.
* ``metadata_publish_locks``: who is publishing a tenant right now (one row at most).
* ``metadata_version_notes``: the comment, kind (publish, rollback) and plan of a version.
"""

from __future__ import annotations

import sqlalchemy as sa


def build_draft_tables(md: sa.MetaData) -> None:
    """Add the draft, publish-lock and version-note tables to ``md``."""
    sa.Table(
        "metadata_drafts",
        md,
        sa.Column("tenant_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "metadata_draft_files",
        md,
        sa.Column("tenant_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("path", sa.String(300), primary_key=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "metadata_publish_locks",
        md,
        sa.Column("tenant_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("holder", sa.String(254), nullable=False),
        sa.Column("purpose", sa.String(60), nullable=False),
        sa.Column("process", sa.String(300), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "metadata_version_notes",
        md,
        sa.Column("tenant_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("version_no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("author", sa.String(254), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
    )


__all__ = ["build_draft_tables"]
