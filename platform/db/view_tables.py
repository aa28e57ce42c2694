"""Per-tenant tables of saved list views, record comments and the slow-list log."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import record_columns, table_with_id

SAVED_VIEWS_TABLE = "_saved_views"
COMMENTS_TABLE = "_comments"
SLOW_LISTS_TABLE = "_slow_lists"


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
    build_slow_list_table(metadata)


def build_slow_list_table(metadata: sa.MetaData) -> None:
    """Slow list queries by shape (fields and sort, never values): how often, how slow."""
    slow = table_with_id(
        SLOW_LISTS_TABLE,
        metadata,
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("shape", sa.String(1000), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("max_ms", sa.Float(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, slow.c.entity, slow.c.shape, unique=True)


__all__ = [
    "COMMENTS_TABLE",
    "SAVED_VIEWS_TABLE",
    "SLOW_LISTS_TABLE",
    "build_comment_table",
    "build_slow_list_table",
    "build_view_tables",
]
