"""Internal tables of the privacy features: the consent ledger and erasure tombstones."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import table_with_id

#: Append-only consent ledger (platform/privacy/consents.py); the person is a keyed hash.
CONSENTS_TABLE = "_consents"
#: One row per person erased (platform/privacy/erase.py): the tombstone.
ERASURES_TABLE = "_erasures"


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


__all__ = ["CONSENTS_TABLE", "ERASURES_TABLE", "build_privacy_tables"]
