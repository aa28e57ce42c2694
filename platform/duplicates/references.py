"""Every live reference to some records of an entity, across the app, and how to move it.

A ``reference`` holds the id; a ``many_to_many`` field holds a list of ids (and its link
table rows); an ``any_reference`` field holds ``entity:id`` text (docs/relationships.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.platform.records.compiled import CompiledApp, CompiledEntity


@dataclass(frozen=True, slots=True)
class Inbound:
    """A field of ``source`` that can point at records of the merged entity."""

    source: CompiledEntity
    field: str
    kind: FieldType


@dataclass(frozen=True, slots=True)
class Pointer:
    """A live record whose ``field`` points at some of the losers; ``value`` as stored."""

    inbound: Inbound
    record_id: int
    value: Any


def inbound_fields(app: CompiledApp, target: str) -> list[Inbound]:
    """Every field of every entity that may point at records of ``target``."""
    found: list[Inbound] = []
    for entity in app.entities.values():
        for f in entity.entity.fields.values():
            if f.formula is not None or f.rollup is not None:
                continue
            points = (
                f.type in (FieldType.REFERENCE, FieldType.MANY_TO_MANY) and f.to == target
            ) or (f.type == FieldType.ANY_REFERENCE and target in f.targets)
            if points:
                found.append(Inbound(entity, f.name, f.type))
    return found


def pointers(
    conn: sa.Connection, inbound: Inbound, target: str, ids: Collection[int]
) -> Iterator[Pointer]:
    """The live records whose ``inbound`` field points at one of ``ids`` (of ``target``)."""
    t = inbound.source.table
    column = t.c[inbound.field]
    live = t.c.deleted_at.is_(None)
    wanted = sorted(ids)
    if inbound.kind == FieldType.REFERENCE:
        query = sa.select(t.c.id, column).where(live, column.in_(wanted))
    elif inbound.kind == FieldType.ANY_REFERENCE:
        query = sa.select(t.c.id, column).where(live, column.in_([f"{target}:{i}" for i in wanted]))
    else:
        link = inbound.source.links[inbound.field].table
        holders = sa.select(link.c.source_id).where(link.c.target_id.in_(wanted))
        query = sa.select(t.c.id, column).where(live, t.c.id.in_(holders))
    for row in conn.execute(query.order_by(t.c.id)):
        yield Pointer(inbound, int(row[0]), row[1])


def repointed(pointer: Pointer, target: str, losers: Collection[int], survivor: int) -> Any:
    """The API value that makes ``pointer`` point at ``survivor`` instead of the losers."""
    match pointer.inbound.kind:
        case FieldType.REFERENCE:
            return survivor
        case FieldType.ANY_REFERENCE:
            return {"entity": target, "id": survivor}
        case _:
            held = {int(i) for i in (pointer.value or [])}
            return sorted((held - set(losers)) | {survivor})


def api_value(kind: FieldType, value: Any) -> Any:
    """A stored pointer value as the API takes it back (to undo a move)."""
    if kind == FieldType.ANY_REFERENCE and isinstance(value, str) and ":" in value:
        entity, ident = value.rsplit(":", 1)
        return {"entity": entity, "id": int(ident)}
    if kind == FieldType.MANY_TO_MANY:
        return sorted(int(i) for i in (value or []))
    return value


__all__ = ["Inbound", "Pointer", "api_value", "inbound_fields", "pointers", "repointed"]
