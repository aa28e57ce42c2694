"""Internal tables of the privacy features: the consent ledger and erasure tombstones."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import table_with_id

#: Append-only consent ledger (platform/privacy/consents.py); the person is a keyed hash.
CONSENTS_TABLE = "_consents"
#: One row per person erased (platform/privacy/erase.py): the tombstone.
ERASURES_TABLE = "_erasures"
#: The tenant's data keys (``encrypted: true`` fields), each wrapped by the master key.
DATA_KEYS_TABLE = "_data_keys"
#: One row per retention run and rule (platform/privacy/retention.py): the report.
RETENTION_RUNS_TABLE = "_retention_runs"


def build_privacy_tables(metadata: sa.MetaData) -> None:
    """Add the consent ledger and the erasure tombstones to ``metadata``."""
    consents = table_with_id(
        CONSENTS_TABLE,
        metadata,
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("basis", sa.String(32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
    )
    sa.Index(None, consents.c.subject, consents.c.purpose, consents.c.id)
    erasures = table_with_id(
        ERASURES_TABLE,
        metadata,
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by", sa.String(254), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("fields", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
    )
    sa.Index(None, erasures.c.subject, unique=True)
    sa.Table(
        DATA_KEYS_TABLE,
        metadata,
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    runs = table_with_id(
        RETENTION_RUNS_TABLE,
        metadata,
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Index(None, runs.c.at)


__all__ = [
    "CONSENTS_TABLE",
    "DATA_KEYS_TABLE",
    "ERASURES_TABLE",
    "RETENTION_RUNS_TABLE",
    "build_privacy_tables",
]
