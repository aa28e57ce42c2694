"""Which tenant tables a backup holds, where each goes in the archive, and table chores."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel
from trellis.metadata.model.links import LINK_PREFIX
from trellis.platform.backup.manifest import DATA_DIR, HISTORY_ENTRY, INTERNAL_DIR
from trellis.platform.db.tables import CHANGES_TABLE

#: Internal tables left out: transient work (outbox, deliveries, timers, imports in
#: flight), replay keys and signed links, which a restored tenant must not inherit.
SKIPPED = frozenset(
    {
        "_idempotency",
        "_outbox",
        "_deliveries",
        "_timers",
        "_signed_links",
        "_imports",
        "_import_rows",
    }
)


def archived_tables(model: AppModel, metadata: sa.MetaData) -> list[tuple[str, sa.Table]]:
    """``(entry name, table)`` of every table a backup holds, in a stable order."""
    out: list[tuple[str, sa.Table]] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        name = table.name
        if name in SKIPPED:
            continue
        if name in model.entities or name.startswith(LINK_PREFIX):
            out.append((f"{DATA_DIR}{name}.jsonl", table))
        elif name == CHANGES_TABLE:
            out.append((HISTORY_ENTRY, table))
        elif name.startswith("_"):
            out.append((f"{INTERNAL_DIR}{name}.jsonl", table))
    return out


def order_by(table: sa.Table) -> list[Any]:
    """The primary key columns (rows are written in key order)."""
    return list(table.primary_key.columns) or list(table.columns)


def reset_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL: move each ``id`` sequence past the restored ids (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
    for table in tables:
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        qualified = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {qualified}"
            ),
            {"t": qualified},
        )


def drop_tenant_tables(conn: sa.Connection) -> None:
    """Drop every table of the tenant (``--replace``), search index tables included."""
    if conn.dialect.name == "postgresql":
        schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
        conn.execute(sa.schema.DropSchema(schema, cascade=True))
        conn.execute(sa.schema.CreateSchema(schema))
        return
    master = "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
    rows = conn.exec_driver_sql(master).all()
    for name, sql in rows:  # virtual tables first: they drop their shadow tables
        if sql and sql.upper().startswith("CREATE VIRTUAL"):
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
    left = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").all()
    for (name,) in left:
        if not str(name).startswith("sqlite_"):
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


__all__ = ["SKIPPED", "archived_tables", "drop_tenant_tables", "order_by", "reset_sequences"]
