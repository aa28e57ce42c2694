"""The link tables of ``many_to_many`` fields: one row per (record, linked record)."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.metadata.model.links import link_table_name


def build_link_table(entity: str, field: str, metadata: sa.MetaData) -> sa.Table:
    """The pairs (record, linked record) of ``many_to_many`` field ``entity.field``.

    No foreign keys: records are soft-deleted, and reads filter on the live targets.
    The primary key serves "what does this record link to", the index on
    ``target_id`` the filters ``links in (…)`` and "which records link to this one".
    """
    table = sa.Table(
        link_table_name(entity, field),
        metadata,
        sa.Column("source_id", sa.BigInteger(), primary_key=True),
        sa.Column("target_id", sa.BigInteger(), primary_key=True),
    )
    sa.Index(None, table.c.target_id)
    return table


__all__ = ["build_link_table"]
