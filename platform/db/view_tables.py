"""Per-tenant tables of saved list views and record comments."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import record_columns, table_with_id

SAVED_VIEWS_TABLE = "_saved_views"
COMMENTS_TABLE = "_comments"


def build_comment_table(metadata: sa.MetaData) -> None:
    """Comments on records (plain text; ``mentions`` holds the mentioned user ids)."""
    comments = table_with_id(
        COMMENTS_TABLE,
        metadata,
        *record_columns(),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, comments.c.entity, comments.c.record_id, comments.c.id)


def build_view_tables(metadata: sa.MetaData) -> None:
    """Saved list views: a user's named list query, private or shared with the tenant."""
    views = table_with_id(
        SAVED_VIEWS_TABLE,
        metadata,
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, views.c.user_id, views.c.entity, views.c.name, unique=True)
    sa.Index(None, views.c.entity, views.c.shared)


__all__ = ["COMMENTS_TABLE", "SAVED_VIEWS_TABLE", "build_comment_table", "build_view_tables"]
