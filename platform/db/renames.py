"""Renames declared with ``renamed_from``: tables and columns renamed in place, data kept.

Run before the schema plan in the publish's transaction: a field ``telefax`` with
``renamed_from: fax`` renames column ``fax`` when ``fax`` exists and ``telefax`` does
not; an entity ``customer`` with ``renamed_from: client`` renames table ``client``
(and its ``many_to_many`` link tables) when ``client`` exists and ``customer`` does
not, and moves the entity name in the internal tables that keep one (history,
comments, saved views, timers…). The plan then sees nothing to add. A later publish
finds nothing to do (the old names are gone), so the declarations may stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from trellis.metadata.model import AppModel, EntityDef, FieldType
from trellis.metadata.model.links import link_table_name
from trellis.platform.db.sync import PlanStep
from trellis.platform.db.tables import build_internal_tables

if TYPE_CHECKING:
    from alembic.operations import ops

    RenameOp = ops.AlterColumnOp | ops.RenameTableOp


def _link_renames(
    entity: EntityDef, old_entity: str, tables: set[str], schema: str | None
) -> list[RenameOp]:
    from alembic.operations import ops  # heavy: loaded by the first publish

    found: list[RenameOp] = []
    for f in entity.fields.values():
        if f.type != FieldType.MANY_TO_MANY:
            continue
        old = link_table_name(old_entity, f.renamed_from or f.name)
        new = link_table_name(entity.name, f.name)
        if old != new and old in tables and new not in tables:
            found.append(ops.RenameTableOp(old, new, schema=schema))
    return found


def rename_operations(conn: sa.Connection, model: AppModel, schema: str | None) -> list[RenameOp]:
    """The table and column renames ``model`` declares that the database still needs."""
    from alembic.operations import ops

    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names(schema=schema))
    found: list[RenameOp] = []
    for entity in model.entities.values():
        table = entity.name
        old_table = entity.renamed_from
        if old_table and old_table in tables and table not in tables:
            found.append(ops.RenameTableOp(old_table, table, schema=schema))
            source = old_table
        elif table in tables:
            source = table
        else:
            continue
        found.extend(_link_renames(entity, source, tables, schema))
        renamed = [f for f in entity.fields.values() if f.renamed_from]
        if not renamed:
            continue
        columns = {c["name"] for c in inspector.get_columns(source, schema=schema)}
        for f in renamed:
            if f.renamed_from in columns and f.name not in columns:
                found.append(
                    ops.AlterColumnOp(table, str(f.renamed_from), modify_name=f.name, schema=schema)
                )
    return found


def _move_entity_name(conn: sa.Connection, old: str, new: str, schema: str | None) -> None:
    """Point the internal tables' ``entity`` column from ``old`` to ``new``."""
    internal = sa.MetaData(schema=schema)
    build_internal_tables(internal)
    existing = set(sa.inspect(conn).get_table_names(schema=schema))
    for table in internal.tables.values():
        if table.name not in existing:
            continue
        for column in table.c:
            if column.name == "entity" or column.name.endswith("_entity"):
                update = table.update().where(column == old).values({column.name: new})
                conn.execute(update)


def apply_renames(conn: sa.Connection, renames: list[RenameOp]) -> list[PlanStep]:
    """Rename the tables and columns in ``conn``'s transaction; returns the plan lines."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations, ops

    operations = Operations(MigrationContext.configure(conn))
    steps = []
    for op in renames:
        operations.invoke(op)
        if isinstance(op, ops.RenameTableOp):
            steps.append(PlanStep("rename table", op.table_name, f"-> {op.new_table_name}", True))
            _move_entity_name(conn, op.table_name, op.new_table_name, op.schema)
            continue
        detail = f"{op.column_name} -> {op.modify_name} (data kept)"
        steps.append(PlanStep("rename column", op.table_name, detail, True))
    return steps


__all__ = ["apply_renames", "rename_operations"]
