"""Column and table helpers shared by the internal tables' builders."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def bigint_pk() -> sa.types.TypeEngine[Any]:
    """BIGINT everywhere, INTEGER on SQLite so the rowid auto-increments."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def id_column() -> sa.Column[Any]:
    """The auto-incrementing ``id`` primary key."""
    return sa.Column("id", bigint_pk(), primary_key=True, autoincrement=True)


def table_with_id(name: str, metadata: sa.MetaData, *columns: sa.Column[Any]) -> sa.Table:
    """An internal table whose first column is its auto-incrementing ``id`` key."""
    return sa.Table(name, metadata, id_column(), *columns)


def record_columns(*, nullable: bool = False) -> tuple[sa.Column[Any], sa.Column[Any]]:
    """``entity`` and ``record_id``: the record an internal row is about."""
    return (
        sa.Column("entity", sa.String(40), nullable=nullable),
        sa.Column("record_id", sa.BigInteger(), nullable=nullable),
    )


__all__ = ["bigint_pk", "id_column", "record_columns", "table_with_id"]
