"""Internal tables of the business-data features: exchange rates, signed links, imports."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import record_columns, table_with_id
from trellis.platform.db.import_tables import build_import_tables
from trellis.platform.db.privacy_tables import build_privacy_tables

SIGNED_LINKS_TABLE = "_signed_links"
RATES_TABLE = "_rates"
#: One row per merge of duplicates (platform/duplicates/merge_log.py): what moved, for undo.
MERGES_TABLE = "_merges"
#: Each loser of a merge and the record it was merged into (the recycle bin shows it).
MERGED_TABLE = "_merged"


def build_business_tables(metadata: sa.MetaData) -> None:
    """Add the rates, signed-link, import and merge tables to ``metadata``."""
    _build_link_table(metadata)
    _build_rates_table(metadata)
    build_import_tables(metadata)
    _build_merges_table(metadata)
    build_privacy_tables(metadata)


def _build_merges_table(metadata: sa.MetaData) -> None:
    """Merges of duplicates: survivor, losers, the survivor's old values, references moved."""
    merges = table_with_id(
        MERGES_TABLE,
        metadata,
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("survivor_id", sa.BigInteger(), nullable=False),
        sa.Column("losers", sa.Text(), nullable=False),
        sa.Column("survivor_before", sa.Text(), nullable=False),
        sa.Column("moves", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(None, merges.c.entity, merges.c.survivor_id)
    merged = table_with_id(
        MERGED_TABLE,
        metadata,
        sa.Column("merge_id", sa.BigInteger(), nullable=False),
        *record_columns(),
        sa.Column("merged_into", sa.BigInteger(), nullable=False),
    )
    sa.Index(None, merged.c.entity, merged.c.record_id)


def _build_rates_table(metadata: sa.MetaData) -> None:
    """Dated exchange rates: on ``day`` one ``from_currency`` is worth ``rate`` ``to_currency``."""
    rates = table_with_id(
        RATES_TABLE,
        metadata,
        sa.Column("from_currency", sa.String(3), nullable=False),
        sa.Column("to_currency", sa.String(3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(24, 10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
    )
    sa.Index(None, rates.c.from_currency, rates.c.to_currency, rates.c.day, unique=True)


def _build_link_table(metadata: sa.MetaData) -> None:
    """Signed links issued for records (platform/public/links.py): expiry, use, revocation."""
    table_with_id(
        SIGNED_LINKS_TABLE,
        metadata,
        sa.Column("link", sa.String(40), nullable=False),
        *record_columns(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
    )


__all__ = [
    "MERGED_TABLE",
    "MERGES_TABLE",
    "RATES_TABLE",
    "SIGNED_LINKS_TABLE",
    "build_business_tables",
]
