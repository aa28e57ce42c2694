"""Tables that relate records: ``many_to_many`` link tables, the position of ``lines``."""

from __future__ import annotations

import sqlalchemy as sa

from trellis.metadata.model import POSITION_COLUMN, AppModel
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


def add_line_position(model: AppModel, table: sa.Table) -> None:
    """Give the table of a line entity its ``line_position`` (the line's place, from 0)."""
    if model.line_owner(table.name) is not None:
        table.append_column(sa.Column(POSITION_COLUMN, sa.Integer(), nullable=True))


__all__ = ["add_line_position", "build_link_table"]
