"""Internal tables of file imports: each import's state, and what each of its rows did."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import record_columns, table_with_id

IMPORTS_TABLE = "_imports"
IMPORT_ROWS_TABLE = "_import_rows"


def build_import_tables(metadata: sa.MetaData) -> None:
    """Add ``_imports`` (one row per import) and ``_import_rows`` (its writes, for undo)."""
    table_with_id(
        IMPORTS_TABLE,
        metadata,
        sa.Column("entity", sa.String(40), nullable=False),
        #: queued, running, interrupted, done, failed, undone
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        #: Options as given: keys, map, encoding, sheet, batch size, side effects.
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        #: Data rows read and committed so far: a resumed import skips them.
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        #: Length of the error report when the last batch committed (resume truncates to it).
        sa.Column("errors_size", sa.BigInteger(), nullable=False),
        #: The first row errors: ``[{"row": n, "errors": {field: [message]}}]``.
        sa.Column("first_errors", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    rows = table_with_id(
        IMPORT_ROWS_TABLE,
        metadata,
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        *record_columns(),
        #: created or updated
        sa.Column("op", sa.String(10), nullable=False),
        #: For updates: the fields the import wrote, with their values before it (JSON).
        sa.Column("before", sa.JSON(), nullable=True),
    )
    sa.Index(None, rows.c.import_id)


__all__ = ["IMPORTS_TABLE", "IMPORT_ROWS_TABLE", "build_import_tables"]
