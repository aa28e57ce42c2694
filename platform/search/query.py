"""The search query: every readable entity's index, matched, scoped and ranked in SQL.

One ``UNION ALL`` holds an arm per entity the caller may read that has visible indexed
fields: the index matched with every search word as a prefix (only in the fields the
caller may see), joined to the live records inside the caller's record scope (own,
team, all, conditions: :meth:`Access.scope`). The best ``limit`` by rank come back;
their titles and snippets are then read for just those records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import sqlalchemy as sa

from trellis.platform.authz import Access
from trellis.platform.authz.read_paths import title_of
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.search.fields import index_column, indexed_fields, source_column
from trellis.platform.search.hits import SearchHit
from trellis.platform.search.snippets import snippet
from trellis.platform.search.tables import index_table, to_query
from trellis.rules.expr import EvalContext


@dataclass(frozen=True, slots=True)
class Target:
    """An entity searched for one caller: its index fields and those the caller sees."""

    entity: CompiledEntity
    fields: tuple[str, ...]
    visible: tuple[str, ...]


def targets(access: Access) -> list[Target]:
    """The entities ``access`` may read that have indexed fields it may see."""
    found: list[Target] = []
    for name, entity in access.app.entities.items():
        if not access.can(name, "read"):
            continue
        fields = indexed_fields(entity)
        hidden = access.entity(name).hidden
        visible = tuple(f for f in fields if f not in hidden)
        if visible:
            found.append(Target(entity, fields, visible))
    return found


def _sqlite_arm(target: Target, words: Sequence[str]) -> tuple[sa.Table, Any, Any]:
    fts = index_table("sqlite", target.entity.name, target.fields)
    columns = ""
    if target.visible != target.fields:
        columns = "{" + " ".join(index_column(f) for f in target.visible) + "} : "
    # Words hold letters and digits only, so quoting them makes any text a plain phrase.
    expression = " AND ".join(f'{columns}"{w}"*' for w in words)
    match = fts.c[fts.name].op("MATCH")(sa.literal(expression))
    rank = -sa.func.bm25(sa.literal_column(f'"{fts.name}"'))
    return fts, match, rank


def _postgres_arm(target: Target, words: Sequence[str]) -> tuple[sa.Table, Any, Any]:
    fts = index_table("postgresql", target.entity.name, target.fields)
    query = to_query(" & ".join(f"{w}:*" for w in words))
    match: Any = fts.c.doc.op("@@")(query)
    vector: Any = fts.c.doc
    if target.visible != target.fields:
        parts: list[Any] = [fts.c[index_column(f)] for f in target.visible]
        vector = reduce(lambda a, b: a.op("||")(b), parts)
        match = sa.and_(match, vector.op("@@")(query))
    return fts, match, sa.func.ts_rank(vector, query)


def entity_match(
    conn: sa.Connection, entity: CompiledEntity, fields: Sequence[str], words: Sequence[str]
) -> tuple[sa.FromClause, Any, Any]:
    """``entity``'s table joined to its index, the match of ``words`` (each a prefix) in
    ``fields`` only, and the rank: for searches of one entity outside :func:`search`."""
    indexed = indexed_fields(entity)
    target = Target(entity, indexed, tuple(f for f in indexed if f in fields))
    t = entity.table
    if conn.dialect.name == "postgresql":
        fts, match, rank = _postgres_arm(target, words)
        key = fts.c.record_id
    else:
        fts, match, rank = _sqlite_arm(target, words)
        key = fts.c.rowid
    return fts.join(t, t.c.id == key), match, sa.cast(rank, sa.Float)


def _arm(
    conn: sa.Connection, access: Access, target: Target, ectx: EvalContext, words: Sequence[str]
) -> sa.Select[Any]:
    t = target.entity.table
    if conn.dialect.name == "postgresql":
        fts, match, rank = _postgres_arm(target, words)
        key = fts.c.record_id
    else:
        fts, match, rank = _sqlite_arm(target, words)
        key = fts.c.rowid
    query = (
        sa.select(
            sa.literal(target.entity.name).label("entity"),
            t.c.id.label("id"),
            sa.cast(rank, sa.Float).label("rank"),
        )
        .select_from(fts.join(t, t.c.id == key))
        .where(match, t.c.deleted_at.is_(None))
    )
    scope = access.scope(target.entity, ectx)
    return query if scope is None else query.where(scope)


def ranked(
    conn: sa.Connection,
    access: Access,
    ectx: EvalContext,
    words: Sequence[str],
    limit: int,
    found: Sequence[Target],
) -> list[tuple[str, int, float]]:
    """``(entity, id, rank)`` of the best ``limit`` matches among ``found``, best first."""
    if not words or not found:
        return []
    arms = [_arm(conn, access, target, ectx, words) for target in found]
    union = (arms[0] if len(arms) == 1 else sa.union_all(*arms)).subquery("hits")
    query = (
        sa.select(union.c.entity, union.c.id, union.c.rank)
        .order_by(union.c.rank.desc(), union.c.entity, union.c.id.desc())
        .limit(limit)
    )
    return [(str(r.entity), int(r.id), float(r.rank)) for r in conn.execute(query)]


def _describe(
    access: Access, target: Target, row: dict[str, Any], words: Sequence[str]
) -> tuple[str, str | None, str | None]:
    title = title_of(access, target.entity, row)
    for f in target.visible:
        value = row.get(source_column(target.entity, f))
        text = value if isinstance(value, str) else None
        found = snippet(text, words) if text else None
        if found is not None:
            return title, found, f
    return title, None, None


def search(
    conn: sa.Connection,
    access: Access,
    ectx: EvalContext,
    words: Sequence[str],
    limit: int,
) -> list[SearchHit]:
    """Records of every readable entity holding every word (as a prefix), best first."""
    searched = targets(access)
    best = ranked(conn, access, ectx, words, limit, searched)
    by_entity: dict[str, list[int]] = {}
    for name, record_id, _ in best:
        by_entity.setdefault(name, []).append(record_id)
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    found = {t.entity.name: t for t in searched}
    for name, ids in by_entity.items():
        target = found[name]
        t = target.entity.table
        names = {"id", *(source_column(target.entity, f) for f in target.visible)}
        title = target.entity.entity.title
        if title and title in t.c:
            names.add(title)
        query = sa.select(*(t.c[n] for n in names)).where(t.c.id.in_(ids))
        for found_row in conn.execute(query):
            rows[(name, int(found_row.id))] = dict(found_row._mapping)
    hits: list[SearchHit] = []
    for name, record_id, rank in best:
        row = rows.get((name, record_id))
        if row is None:
            continue
        title, text, field = _describe(access, found[name], row, words)
        hits.append(SearchHit(name, record_id, title, round(rank, 6), text, field))
    return hits


__all__ = ["Target", "entity_match", "ranked", "search", "targets"]
