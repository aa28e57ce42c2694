"""Which live records a record (being saved) duplicates, rule by rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.metadata.model.duplicates import DuplicateAction, DuplicateMatch, DuplicateRuleDef
from trellis.platform.duplicates.normalise import TEXT_TYPES, key_sql, name_text, normalise
from trellis.platform.duplicates.similarity import similar
from trellis.platform.records.compiled import CompiledEntity

#: Most rows of one block a save compares against (the nearest are kept).
MAX_BLOCK_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Match:
    """A live record that duplicates the one being saved, by ``rule``, with ``score`` (0 to 1)."""

    rule: str
    action: DuplicateAction
    record_id: int
    score: float

    def as_json(self) -> dict[str, Any]:
        """The match as the API shows it (titles are added by the caller)."""
        return {"id": self.record_id, "rule": self.rule, "score": round(self.score, 3)}


def _kind(entity: CompiledEntity, name: str) -> FieldType:
    return entity.entity.fields[name].type


def _equal(entity: CompiledEntity, name: str, value: Any, prefix: int | None = None) -> Any:
    """``name``'s normalised column equals ``value`` normalised the same way (in SQL)."""
    kind = _kind(entity, name)
    column = entity.table.c[name]
    if kind == FieldType.PHONE or kind in TEXT_TYPES:
        bound = sa.literal(str(value), sa.String())
        return key_sql(column, kind, prefix) == key_sql(bound, kind, prefix)
    return column == value


def _filled(entity: CompiledEntity, record: Mapping[str, Any], names: Iterable[str]) -> bool:
    return all(normalise(record.get(n), _kind(entity, n)) is not None for n in names)


def _live(entity: CompiledEntity, exclude: int | None) -> list[Any]:
    t = entity.table
    where: list[Any] = [t.c.deleted_at.is_(None)]
    if exclude is not None:
        where.append(t.c.id != exclude)
    return where


def exact_matches(
    conn: sa.Connection,
    entity: CompiledEntity,
    rule: DuplicateRuleDef,
    record: Mapping[str, Any],
    exclude: int | None,
) -> list[Match]:
    """Live records whose ``rule.fields`` equal the record's once normalised."""
    if not _filled(entity, record, rule.fields):
        return []
    t = entity.table
    where = [*_live(entity, exclude), *(_equal(entity, n, record[n]) for n in rule.fields)]
    query = sa.select(t.c.id).where(*where).order_by(t.c.id).limit(MAX_BLOCK_ROWS)
    return [Match(rule.name, rule.action, int(i), 1.0) for i in conn.execute(query).scalars()]


def fuzzy_matches(
    conn: sa.Connection,
    entity: CompiledEntity,
    rule: DuplicateRuleDef,
    record: Mapping[str, Any],
    exclude: int | None,
) -> list[Match]:
    """Live records of the record's block whose names are similar enough."""
    keys = rule.blocking
    if not _filled(entity, record, [k.field for k in keys]):
        return []
    text = name_text([record.get(n) for n in rule.fields])
    if not text:
        return []
    t = entity.table
    where = [*_live(entity, exclude)]
    where.extend(_equal(entity, k.field, record[k.field], k.prefix) for k in keys)
    columns = [t.c.id, *(t.c[n] for n in rule.fields)]
    query = sa.select(*columns).where(*where).order_by(t.c.id).limit(MAX_BLOCK_ROWS)
    found: list[Match] = []
    for row in conn.execute(query):
        score = similar(text, name_text(list(row[1:])), rule.threshold)
        if score is not None:
            found.append(Match(rule.name, rule.action, int(row[0]), score))
    return found


def find_matches(
    conn: sa.Connection,
    entity: CompiledEntity,
    record: Mapping[str, Any],
    *,
    exclude: int | None = None,
    rules: Iterable[DuplicateRuleDef] | None = None,
) -> list[Match]:
    """Every live record ``record`` duplicates (best match per record, best first).

    ``exclude`` is the record's own id on an update.
    """
    best: dict[int, Match] = {}
    for rule in entity.entity.duplicates if rules is None else rules:
        finder = exact_matches if rule.match is DuplicateMatch.EXACT else fuzzy_matches
        for match in finder(conn, entity, rule, record, exclude):
            best[match.record_id] = _stronger(best.get(match.record_id), match)
    return sorted(best.values(), key=lambda m: (-m.score, m.record_id))


def _stronger(kept: Match | None, match: Match) -> Match:
    """A blocking match wins over a warning; then the higher score."""
    if kept is None:
        return match
    rank = {DuplicateAction.WARN: 0, DuplicateAction.BLOCK: 1}
    if (rank[match.action], match.score) > (rank[kept.action], kept.score):
        return match
    return kept


__all__ = ["MAX_BLOCK_ROWS", "Match", "exact_matches", "find_matches", "fuzzy_matches"]
