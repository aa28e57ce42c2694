"""Which fields of an entity the search index holds, and where their text is read from."""

from __future__ import annotations

from trellis.metadata.model import FIELD_TYPES, DslType
from trellis.metadata.model.rich_text import plain_column
from trellis.platform.db.sync import SEARCH_INDEX_PREFIX as INDEX_PREFIX
from trellis.platform.records.compiled import CompiledEntity


def index_table_name(entity: str) -> str:
    """The name of ``entity``'s index table."""
    return f"{INDEX_PREFIX}{entity}"


def index_column(field: str) -> str:
    """The index column of ``field``."""
    return f"f_{field}"


def indexed_fields(entity: CompiledEntity) -> tuple[str, ...]:
    """The title and the ``search:`` fields of ``entity`` that hold text, in that order.

    Paths through references (``account.name``) are not indexed here: the referenced
    record is found by its own entity's index.
    """
    spec = entity.entity
    found: list[str] = []
    for name in dict.fromkeys(n for n in (spec.title, *spec.search) if n):
        f = spec.fields.get(name)
        if f is None or "." in name or name not in entity.table.c:
            continue
        if FIELD_TYPES[f.type].dsl_type is DslType.TEXT:
            found.append(name)
    return tuple(found)


def source_column(entity: CompiledEntity, field: str) -> str:
    """The record column whose text is indexed for ``field`` (a rich text's plain text)."""
    plain = plain_column(field)
    return plain if plain in entity.table.c else field


__all__ = ["INDEX_PREFIX", "index_column", "index_table_name", "indexed_fields", "source_column"]
