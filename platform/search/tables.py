"""The index tables: an FTS5 virtual table (SQLite) or a table of ``tsvector`` columns
with a GIN index (PostgreSQL), one per entity that has indexed fields.

SQLite: ``_fts_<entity>(f_<field> …)`` with ``tokenize='unicode61 remove_diacritics 2'``,
its rowid the record id. PostgreSQL: ``_fts_<entity>(record_id, doc, f_<field> …)`` where
``doc`` is every field's words (GIN-indexed, what a search reads first) and each
``f_<field>`` one field's, so a role that may not see a field is matched without it.
"""

from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR

from trellis.platform.search.fields import index_column, index_table_name

#: The text search configuration: words are already folded, so no stemming or stop words.
CONFIG = "simple"


@lru_cache(maxsize=512)
def index_table(dialect: str, entity: str, fields: tuple[str, ...]) -> sa.Table:
    """The index table of ``entity`` over ``fields`` for ``dialect`` (built once)."""
    meta = sa.MetaData()
    name = index_table_name(entity)
    if dialect == "postgresql":
        return sa.Table(
            name,
            meta,
            sa.Column("record_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("doc", TSVECTOR, nullable=False),
            *(sa.Column(index_column(f), TSVECTOR, nullable=False) for f in fields),
            sa.Index(f"{name}_doc", "doc", postgresql_using="gin"),
        )
    # FTS5's hidden column named like the table is what MATCH is applied to.
    return sa.Table(
        name,
        meta,
        sa.Column("rowid", sa.Integer, primary_key=True),
        sa.Column(name, sa.Text),
        *(sa.Column(index_column(f), sa.Text) for f in fields),
    )


def to_vector(value: sa.ColumnElement[str] | sa.BindParameter[str]) -> sa.ColumnElement[str]:
    """``to_tsvector('simple', value)`` (PostgreSQL)."""
    return sa.func.to_tsvector(sa.cast(sa.literal(CONFIG), REGCONFIG), value)


def to_query(value: str) -> sa.ColumnElement[str]:
    """``to_tsquery('simple', value)`` (PostgreSQL)."""
    return sa.func.to_tsquery(sa.cast(sa.literal(CONFIG), REGCONFIG), sa.literal(value))


def create_sqlite(conn: sa.Connection, table: sa.Table) -> None:
    """Create the FTS5 table (no bound values: names are checked identifiers)."""
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(c.name) for c in table.c if c.name not in ("rowid", table.name))
    conn.execute(
        sa.text(
            f"CREATE VIRTUAL TABLE {quote(table.name)} USING fts5({columns}, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
    )


def existing_columns(conn: sa.Connection, name: str) -> set[str] | None:
    """The columns of index table ``name`` as it is in the database (None: absent)."""
    inspector = sa.inspect(conn)
    schema = (conn.get_execution_options().get("schema_translate_map") or {}).get(None)
    if not inspector.has_table(name, schema=schema):
        return None
    return {c["name"] for c in inspector.get_columns(name, schema=schema)}


def wanted_columns(table: sa.Table) -> set[str]:
    """The columns ``table`` has once created."""
    return {c.name for c in table.c if c.name not in ("rowid", table.name)}


def drop(conn: sa.Connection, table: sa.Table) -> None:
    """Drop ``table`` (an FTS5 table drops its shadow tables with it)."""
    table.drop(conn)


def create(conn: sa.Connection, table: sa.Table) -> None:
    """Create ``table`` on the connection's backend."""
    if conn.dialect.name == "sqlite":
        create_sqlite(conn, table)
    else:
        table.create(conn)


__all__ = [
    "CONFIG",
    "create",
    "drop",
    "existing_columns",
    "index_table",
    "to_query",
    "to_vector",
    "wanted_columns",
]
