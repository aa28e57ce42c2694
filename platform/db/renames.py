"""Renames declared with ``renamed_from``: the column is renamed in place, data kept.

Run before the schema plan in the publish's transaction: a field ``telefax`` with
``renamed_from: fax`` renames column ``fax`` when ``fax`` exists and ``telefax`` does
not; the plan then sees nothing to add. A later publish finds nothing to do (the old
column is gone), so the declaration may stay in the package.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops

from trellis.metadata.model import AppModel
from trellis.platform.db.sync import PlanStep


def rename_operations(
    conn: sa.Connection, model: AppModel, schema: str | None
) -> list[ops.AlterColumnOp]:
    """The column renames ``model`` declares that the database still needs."""
    inspector = sa.inspect(conn)
    found: list[ops.AlterColumnOp] = []
    for entity in model.entities.values():
        renamed = [f for f in entity.fields.values() if f.renamed_from]
        if not renamed or not inspector.has_table(entity.name, schema=schema):
            continue
        columns = {c["name"] for c in inspector.get_columns(entity.name, schema=schema)}
        for f in renamed:
            if f.renamed_from in columns and f.name not in columns:
                found.append(
                    ops.AlterColumnOp(
                        entity.name, str(f.renamed_from), modify_name=f.name, schema=schema
                    )
                )
    return found


def apply_renames(conn: sa.Connection, renames: list[ops.AlterColumnOp]) -> list[PlanStep]:
    """Rename the columns in ``conn``'s transaction; returns the plan lines."""
    operations = Operations(MigrationContext.configure(conn))
    steps = []
    for op in renames:
        operations.invoke(op)
        detail = f"{op.column_name} -> {op.modify_name} (data kept)"
        steps.append(PlanStep("rename column", op.table_name, detail, True))
    return steps


__all__ = ["apply_renames", "rename_operations"]
