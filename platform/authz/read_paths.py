"""Reference autocomplete and export: read paths through the caller's policy (global
search is platform/search).

Each one goes through the same compiled access as lists and reads: entities the caller
may not read are refused (403), the record scope limits rows,
hidden fields are neither searched nor returned, and filters cannot read hidden
fields or records of referenced entities outside the caller's scope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FIELD_TYPES, DslType
from trellis.metadata.model.rich_text import plain_column
from trellis.platform.authz import Access
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.query import compile_filter
from trellis.rules.expr import EvalContext
from trellis.rules.expr._sql import like_escape

#: Longest accepted search text.
MAX_QUERY_LENGTH = 200
#: Most words of a search text that are matched.
MAX_WORDS = 8
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_ESCAPE = "/"


@dataclass(frozen=True, slots=True)
class Hit:
    """One record found: its entity, id and title."""

    entity: str
    id: int
    title: str

    def as_json(self, with_entity: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "title": self.title}
        return {"entity": self.entity, **body} if with_entity else body


def parse_limit(raw: str | None, default: int = DEFAULT_LIMIT) -> int:
    """``limit`` between 1 and ``MAX_LIMIT``; raises ``BadRequestError`` otherwise."""
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequestError(
            f"limit must be between 1 and {MAX_LIMIT}.",
            {"limit": [f"Must be between 1 and {MAX_LIMIT}."]},
        )
    return int(raw)


def parse_words(raw: str | None, *, required: bool) -> list[str]:
    """The words of a search text (lower-cased); raises ``BadRequestError`` when unusable."""
    text = (raw or "").strip()
    if required and not text:
        raise BadRequestError(
            "Give the text to search for as q=.", {"q": ["This parameter is required."]}
        )
    if "\x00" in text:
        message = "The search text must not contain NUL characters."
        raise BadRequestError(message, {"q": [message]})
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequestError(
            f"The search text is longer than {MAX_QUERY_LENGTH} characters.",
            {"q": [f"At most {MAX_QUERY_LENGTH} characters."]},
        )
    return [w.lower() for w in text.split()][:MAX_WORDS]


def text_fields(access: Access, entity: CompiledEntity) -> list[str]:
    """Fields a search reads: the title and ``search`` fields that are text and not hidden."""
    spec = entity.entity
    names = [n for n in (spec.title, *spec.search) if n]
    hidden = access.entity(entity.name).hidden
    found: list[str] = []
    for name in dict.fromkeys(names):
        f = spec.fields.get(name)
        if f is None or name in hidden or name not in entity.table.c:
            continue
        if FIELD_TYPES[f.type].dsl_type is DslType.TEXT:
            found.append(name)
    return found


def title_of(access: Access, entity: CompiledEntity, row: Mapping[str, Any]) -> str:
    """The record's title as the caller may see it (``#id`` when the title is hidden)."""
    name = entity.entity.title
    if name and name not in access.entity(entity.name).hidden:
        value = row.get(name)
        if value not in (None, ""):
            return str(value)
    return f"#{row['id']}"


def _text_column(table: sa.Table, name: str) -> sa.ColumnElement[Any]:
    """The column a search reads for field ``name``: a rich text's plain text."""
    plain = plain_column(name)
    return table.c[plain] if plain in table.c else table.c[name]


def _matches(table: sa.Table, fields: list[str], words: list[str]) -> sa.ColumnElement[Any]:
    """Every word occurs (case-insensitively) in one of ``fields``."""
    conditions = []
    for word in words:
        pattern = f"%{like_escape(word)}%"
        conditions.append(
            sa.or_(
                *(
                    sa.func.lower(_text_column(table, f), type_=sa.String()).like(
                        pattern, escape=_ESCAPE
                    )
                    for f in fields
                )
            )
        )
    return sa.and_(*conditions)


def _base(access: Access, entity: CompiledEntity, ectx: EvalContext) -> sa.Select[Any]:
    """Live, in-scope records of ``entity``: id and title."""
    t = entity.table
    columns = [t.c.id]
    title = entity.entity.title
    if title and title in t.c and title != "id":
        columns.append(t.c[title])
    query = sa.select(*columns).where(t.c.deleted_at.is_(None))
    scope = access.scope(entity, ectx)
    return query if scope is None else query.where(scope)


def autocomplete(
    conn: sa.Connection,
    access: Access,
    entity: CompiledEntity,
    ectx: EvalContext,
    words: list[str],
    limit: int,
) -> list[Hit]:
    """In-scope records of ``entity`` matching ``words``, by title (the caller reads it)."""
    t = entity.table
    query = _base(access, entity, ectx)
    fields = text_fields(access, entity)
    if words:
        if not fields:
            return []
        query = query.where(_matches(t, fields, words))
    title = entity.entity.title
    order: list[Any] = []
    if title and title in t.c and title not in access.entity(entity.name).hidden:
        order.append(t.c[title].asc().nulls_last())
    query = query.order_by(*order, t.c.id.asc()).limit(limit)
    return [
        Hit(entity.name, int(row.id), title_of(access, entity, dict(row._mapping)))
        for row in conn.execute(query)
    ]


def scoped_filter(
    access: Access,
    app: CompiledApp,
    entity: CompiledEntity,
    text: str | None,
    ectx: EvalContext,
) -> sa.ColumnElement[Any] | None:
    """A filter compiled as the caller sees the model (hidden fields unknown, 400),
    reading referenced records only inside the caller's scope."""
    if not text:
        return None
    model = access.roles.visible_model
    compiled = compile_filter(text, model.entities[entity.name], model)
    return compiled.to_sql(app.table, ectx, hop_scope=access.hop_scope(ectx))


def export_rows(
    conn: sa.Connection,
    access: Access,
    entity: CompiledEntity,
    ectx: EvalContext,
    columns: tuple[str, ...],
    condition: sa.ColumnElement[Any] | None,
    *,
    batch: int = 1000,
    on_batch: Callable[[list[dict[str, Any]]], None],
) -> int:
    """Feed every live, in-scope (and filtered) record to ``on_batch``, by id; the count."""
    t = entity.table
    scope = access.scope(entity, ectx)
    where: list[Any] = [t.c.deleted_at.is_(None)]
    if scope is not None:
        where.append(scope)
    if condition is not None:
        where.append(condition)
    last = 0
    total = 0
    while True:
        query = (
            sa.select(*(t.c[c] for c in columns))
            .where(*where, t.c.id > last)
            .order_by(t.c.id)
            .limit(batch)
        )
        rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return total
        on_batch(rows)
        total += len(rows)
        last = int(rows[-1]["id"])
        if len(rows) < batch:
            return total


__all__ = [
    "Hit",
    "autocomplete",
    "export_rows",
    "parse_limit",
    "parse_words",
    "scoped_filter",
    "text_fields",
    "title_of",
]
