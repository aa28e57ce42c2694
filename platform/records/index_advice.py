"""Index advice from the slow-list log: which ``indexes:`` declarations would serve the
list queries that were slow, and which ``indexed: trigram`` fields their text matches want.

Each noted shape proposes one index in the usual order — fields compared for equality
first, then the sort keys, then one range or prefix field — and nothing when an index the
entity already has (declared, ``unique``, ``indexed``, references and users, the owner's)
begins the same way. Shapes whose fields are gone from the app (renamed or dropped since)
are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from trellis.metadata.model import STANDARD_COLUMNS, AppModel, EntityDef, FieldType
from trellis.platform.records.list_shape import ListShape

_AUTO_INDEXED = (FieldType.REFERENCE, FieldType.USER, FieldType.ANY_REFERENCE)


@dataclass(frozen=True, slots=True)
class NotedShape:
    """One row of the slow-list log."""

    entity: str
    shape: ListShape
    count: int
    total_ms: float
    max_ms: float


@dataclass(slots=True)
class IndexAdvice:
    """An index to declare on ``entity`` and the slow lists it would serve."""

    entity: str
    fields: tuple[str, ...]
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    shapes: list[ListShape] = field(default_factory=list)

    @property
    def average_ms(self) -> float:
        """Mean time of the slow lists it would serve."""
        return self.total_ms / self.count if self.count else 0.0


@dataclass(slots=True)
class TrigramAdvice:
    """A text field matched with ``contains``/``ends_with`` in slow lists (PostgreSQL)."""

    entity: str
    field: str
    count: int = 0
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Advice:
    """Everything ``trellis db advise`` proposes, slowest first."""

    indexes: tuple[IndexAdvice, ...]
    trigrams: tuple[TrigramAdvice, ...]


def candidate_index(shape: ListShape) -> tuple[str, ...]:
    """Equality fields, then sort keys, then the first range or prefix field."""
    fields = list(shape.equal)
    for key in shape.sort:
        name = key.lstrip("-")
        if name not in fields:
            fields.append(name)
    tail = [f for f in (*shape.prefix, *shape.range) if f not in fields]
    if tail:
        fields.append(tail[0])
    return tuple(fields)


def existing_indexes(entity: EntityDef) -> list[tuple[str, ...]]:
    """The field lists of every index the platform builds for ``entity``."""
    found: list[tuple[str, ...]] = [("id",), ("owner_id", "deleted_at")]
    for f in entity.fields.values():
        if f.unique or f.indexed or f.type in _AUTO_INDEXED:
            found.append((f.name,))
    found.extend(index.fields for index in entity.indexes)
    return found


def is_served(fields: tuple[str, ...], equal: int, indexes: Iterable[tuple[str, ...]]) -> bool:
    """An index begins with ``fields`` (its first ``equal`` fields in any order)."""
    head, rest = set(fields[:equal]), fields[equal:]
    for index in indexes:
        if len(index) < len(fields) or set(index[:equal]) != head:
            continue
        if index[equal : len(fields)] == rest:
            return True
    return False


def advise(model: AppModel, noted: Iterable[NotedShape], *, min_count: int = 1) -> Advice:
    """The indexes and trigram fields that would serve ``noted`` slow lists."""
    indexes: dict[tuple[str, tuple[str, ...]], IndexAdvice] = {}
    trigrams: dict[tuple[str, str], TrigramAdvice] = {}
    for row in noted:
        entity = model.entities.get(row.entity)
        if entity is None or not _known(entity, row.shape):
            continue
        for name in row.shape.text:
            if not entity.fields[name].trigram:
                tri = trigrams.setdefault((row.entity, name), TrigramAdvice(row.entity, name))
                tri.count += row.count
                tri.total_ms += row.total_ms
        fields = candidate_index(row.shape)
        if not fields or is_served(fields, len(row.shape.equal), existing_indexes(entity)):
            continue
        advice = indexes.setdefault((row.entity, fields), IndexAdvice(row.entity, fields))
        advice.count += row.count
        advice.total_ms += row.total_ms
        advice.max_ms = max(advice.max_ms, row.max_ms)
        advice.shapes.append(row.shape)
    kept = [a for a in indexes.values() if a.count >= min_count]
    kept.sort(key=lambda a: (-a.total_ms, a.entity, a.fields))
    texts = [t for t in trigrams.values() if t.count >= min_count]
    texts.sort(key=lambda t: (-t.total_ms, t.entity, t.field))
    return Advice(tuple(kept), tuple(texts))


def _known(entity: EntityDef, shape: ListShape) -> bool:
    """Every field the shape names is still a field (or a standard column) of ``entity``."""
    names = {*shape.equal, *shape.range, *shape.prefix, *(k.lstrip("-") for k in shape.sort)}
    return all(n in entity.fields or n in STANDARD_COLUMNS for n in names) and all(
        n in entity.fields for n in shape.text
    )


__all__ = [
    "Advice",
    "IndexAdvice",
    "NotedShape",
    "TrigramAdvice",
    "advise",
    "candidate_index",
    "existing_indexes",
    "is_served",
]
