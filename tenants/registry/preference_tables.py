"""System table of a user's own settings: language, time zone, list density."""

from __future__ import annotations

import sqlalchemy as sa


def build_preference_tables(md: sa.MetaData) -> None:
    """Add ``user_preferences``: one row per user who changed a setting; NULL = default."""
    sa.Table(
        "user_preferences",
        md,
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("density", sa.String(16), nullable=True),  # list rows: comfortable/compact
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


__all__ = ["build_preference_tables"]
