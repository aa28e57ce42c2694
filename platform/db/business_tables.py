"""Internal tables of the business-data features: exchange rates, signed links, imports."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.platform.db.columns import record_columns, table_with_id
from trellis.platform.db.import_tables import build_import_tables

SIGNED_LINKS_TABLE = "_signed_links"
RATES_TABLE = "_rates"


def build_business_tables(metadata: sa.MetaData) -> None:
    """Add the rates, signed-link and import tables to ``metadata``."""
    _build_link_table(metadata)
    _build_rates_table(metadata)
    build_import_tables(metadata)


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


__all__ = ["RATES_TABLE", "SIGNED_LINKS_TABLE", "build_business_tables"]
