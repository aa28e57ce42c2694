"""Per-tenant job settings kept in the tenant's ``_settings`` table (webhook secret)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from trellis.platform.db.tables import SETTINGS_TABLE

WEBHOOK_SECRET_KEY = "webhook_secret"


def webhook_secret(conn: sa.Connection, metadata: sa.MetaData) -> str:
    """The tenant's webhook HMAC secret, created on first use (call in a write transaction)."""
    table = metadata.tables[SETTINGS_TABLE]
    value = conn.execute(sa.select(table.c.value).where(table.c.key == WEBHOOK_SECRET_KEY)).scalar()
    if value is not None:
        return str(value)
    secret = secrets.token_hex(32)
    conn.execute(table.insert().values(key=WEBHOOK_SECRET_KEY, value=secret))
    return secret


__all__ = ["WEBHOOK_SECRET_KEY", "webhook_secret"]
