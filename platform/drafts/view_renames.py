"""Saved views follow a field rename: their stored list queries are rewritten in place.

A saved view keeps the list screen's query string (``col``, builder rows ``f``,
``sort`` and the ``filter`` expression). When a publish renames a column in place
(``renamed_from``), every view naming the field, on its entity or through a
reference path (``account.name`` on contact), is rewritten in the publish's own
transaction, through the rule-language parser for ``filter`` (never by text search).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from trellis.metadata.model import AppModel
from trellis.platform.db.tables import SAVED_VIEWS_TABLE, build_internal_tables
from trellis.platform.drafts.refs_expr import Rename, path_hits, rename_expression
from trellis.rules.expr import ExpressionError

#: Query parameters whose value is one field path.
PATH_KEYS = frozenset({"col", "f"})


def field_renames(operations: Sequence[object]) -> list[Rename]:
    """The field renames among a schema plan's operations (columns renamed in place)."""
    from alembic.operations import ops  # loaded already: the plan's operations are alembic's

    return [
        Rename("field", op.table_name, op.column_name, str(op.modify_name))
        for op in operations
        if isinstance(op, ops.AlterColumnOp) and op.modify_name
    ]


def _path(model: AppModel, entity: str, value: str, rename: Rename) -> str:
    sign, head = ("-", value[1:]) if value.startswith("-") else ("", value)
    names = head.split(".")
    for i in path_hits(model, entity, names, rename):
        names[i] = rename.new
    return sign + ".".join(names)


def rewrite_query(model: AppModel, entity: str, query: str, rename: Rename) -> str:
    """``query`` (a saved view's) with the renamed field's mentions rewritten."""
    out = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in PATH_KEYS:
            value = _path(model, entity, value, rename)
        elif key == "sort":
            value = ",".join(_path(model, entity, part, rename) for part in value.split(","))
        elif key == "filter" and value:
            # a filter that no longer parses is left as the user saved it
            with suppress(ExpressionError):
                value = rename_expression(model, entity, value, rename)
        out.append((key, value))
    return urlencode(out)


def rename_in_views(
    conn: sa.Connection, schema: str | None, model: AppModel, renames: Sequence[Rename]
) -> int:
    """Rewrite every saved view that names a renamed field; returns how many changed."""
    if not renames or SAVED_VIEWS_TABLE not in sa.inspect(conn).get_table_names(schema=schema):
        return 0
    internal = sa.MetaData(schema=schema)
    build_internal_tables(internal)
    table = internal.tables[f"{schema}.{SAVED_VIEWS_TABLE}" if schema else SAVED_VIEWS_TABLE]
    changed = 0
    for row in conn.execute(sa.select(table.c.id, table.c.entity, table.c.query)).all():
        query = str(row.query)
        for rename in renames:
            query = rewrite_query(model, str(row.entity), query, rename)
        if query != row.query:
            conn.execute(table.update().where(table.c.id == row.id).values(query=query))
            changed += 1
    return changed


__all__ = ["field_renames", "rename_in_views", "rewrite_query"]
