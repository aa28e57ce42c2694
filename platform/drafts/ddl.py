"""The SQL a schema plan runs, rendered for the tenant's database dialect."""

from __future__ import annotations

import io

from trellis.platform.db.sync import SchemaPlan


def render_ddl(plan: SchemaPlan, dialect: str) -> list[str]:
    """One SQL statement per step the plan applies, in order (offline rendering).

    A step the dialect can only run by rebuilding the table (a constraint on SQLite)
    is shown as a comment naming it.
    """
    from alembic.migration import MigrationContext  # heavy: loaded by the first plan shown
    from alembic.operations import Operations, ops

    from trellis.platform.db.alembic_plan import ADDITIVE

    statements: list[str] = []
    for op in plan.operations:
        renames = isinstance(op, ops.RenameTableOp) or (
            isinstance(op, ops.AlterColumnOp) and op.modify_name is not None
        )
        if not (isinstance(op, ADDITIVE) or renames):
            continue
        if dialect == "sqlite" and isinstance(op, ops.AddConstraintOp):
            statements.append(f"-- rebuild table {op.to_constraint().table.name} with a constraint")
            continue
        buffer = io.StringIO()
        context = MigrationContext.configure(
            dialect_name=dialect, opts={"as_sql": True, "output_buffer": buffer}
        )
        Operations(context).invoke(op)
        statements.extend(
            text.strip() + ";" for text in buffer.getvalue().split(";\n") if text.strip()
        )
    return statements


__all__ = ["render_ddl"]
