"""Creating the index tables when a package is published (or a reindex runs).

An entity gets an index table when it has indexed fields; when the indexed fields
change (a publish adds a ``search:`` field) the table is rebuilt from the records in
the same transaction, so a published app never searches a stale shape.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.search import tables
from trellis.platform.search.fields import index_table_name, indexed_fields
from trellis.platform.search.writer import rebuild_entity

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IndexSync:
    """What an index sync did: entities whose index was (re)built with how many records,
    and entities whose index table was dropped (no indexed fields left)."""

    rebuilt: dict[str, int]
    dropped: tuple[str, ...]


def sync_index(conn: sa.Connection, app: CompiledApp, *, rebuild_all: bool = False) -> IndexSync:
    """Create, reshape or drop the index tables of ``app``; refill those it (re)creates.

    ``rebuild_all`` refills every index even when its shape is unchanged.
    """
    rebuilt: dict[str, int] = {}
    dropped: list[str] = []
    dialect = conn.dialect.name
    for entity in app.entities.values():
        fields = indexed_fields(entity)
        name = index_table_name(entity.name)
        present = tables.existing_columns(conn, name)
        if not fields:
            if present is not None:
                sa.Table(name, sa.MetaData()).drop(conn)
                dropped.append(entity.name)
            continue
        table = tables.index_table(dialect, entity.name, fields)
        if present is not None and present != tables.wanted_columns(table):
            tables.drop(conn, table)
            present = None
        if present is None:
            tables.create(conn, table)
        if present is None or rebuild_all:
            rebuilt[entity.name] = rebuild_entity(conn, entity)
    return IndexSync(rebuilt, tuple(dropped))


def index_in_shape(conn: sa.Connection, app: CompiledApp) -> bool:
    """Whether every index table of ``app`` exists with its columns (reads only, so a
    process loading an app needs no write lock when nothing is to be done)."""
    dialect = conn.dialect.name
    for entity in app.entities.values():
        fields = indexed_fields(entity)
        present = tables.existing_columns(conn, index_table_name(entity.name))
        if not fields:
            if present is not None:
                return False
            continue
        if present != tables.wanted_columns(tables.index_table(dialect, entity.name, fields)):
            return False
    return True


def ensure_index(conn: sa.Connection, app: CompiledApp) -> IndexSync | None:
    """:func:`sync_index` for an app loaded by a process (a tenant published before
    search existed gets its index here); None when another process is doing it."""
    try:
        with conn.begin_nested():
            return sync_index(conn, app)
    except sa.exc.DBAPIError:
        logger.warning(
            "search index of app %s not checked: another process is creating it", app.model.name
        )
        return None


__all__ = ["IndexSync", "ensure_index", "index_in_shape", "sync_index"]
