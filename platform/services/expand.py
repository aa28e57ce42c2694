"""``expand=``: reference and user columns embedded as ``{"id", "title"}`` objects.

``GET …/{entity}?expand=account,owner`` and ``GET …/{entity}/{id}?expand=…`` (DESIGN.md
§13) replace the id held by each named column with ``{"id": 7, "title": "Acme"}``:

- a ``reference`` field: the target record's title as search and autocomplete show it
  (``#<id>`` when its title field is empty or hidden from the caller);
- a ``many_to_many`` field: its list of ids becomes a list of such objects;
- an ``any_reference`` field: its ``{"entity", "id"}`` gains the ``title``;
- a ``user`` field and the standard ``owner_id``, ``created_by`` and ``updated_by``
  (``owner`` names ``owner_id`` unless the entity has a field called so): the member's
  display name.

A target the caller may not see — an entity its roles cannot read, a record outside its
scope or deleted, a user who is not a member of the tenant — gets ``"title": null``, so
nothing about it leaks. An empty column stays ``null``. Titles are read with one query
per expanded reference and one for every user column together, whatever the page size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import sqlalchemy as sa

from trellis.metadata.model import FieldType
from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import Access
from trellis.platform.authz.read_paths import title_of
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.query import split_names
from trellis.platform.records.unknown_names import unknown_among
from trellis.rules.expr import EvalContext

#: Standard columns holding a user id.
USER_COLUMNS = ("owner_id", "created_by", "updated_by")
#: Short names accepted for standard columns (DESIGN.md writes ``expand=account,owner``).
ALIASES = {"owner": "owner_id"}
#: Display names of members by user id, for the ids asked (one query).
UserNames = Callable[[list[int]], Mapping[int, str]]


@dataclass(frozen=True, slots=True)
class Expansion:
    """One expanded column: its JSON key and the entity it refers to (None: a user)."""

    column: str
    target: str | None
    #: An ``any_reference`` field: each value names its own entity.
    any_entity: bool = False


def expandable(entity: CompiledEntity, columns: Iterable[str]) -> dict[str, Expansion]:
    """The names ``expand=`` accepts among the caller's visible ``columns``, in order."""
    visible = set(columns)
    names: dict[str, Expansion] = {}
    for f in entity.entity.fields.values():
        if f.name not in visible:
            continue
        if f.type in (FieldType.REFERENCE, FieldType.MANY_TO_MANY) and f.to:
            names[f.name] = Expansion(f.name, f.to)
        elif f.type == FieldType.ANY_REFERENCE:
            names[f.name] = Expansion(f.name, None, any_entity=True)
        elif f.type == FieldType.USER:
            names[f.name] = Expansion(f.name, None)
    for alias, column in ALIASES.items():
        if column in visible and alias not in entity.entity.fields:
            names[alias] = Expansion(column, None)
    for column in USER_COLUMNS:
        if column in visible:
            names[column] = Expansion(column, None)
    return names


def parse_expand(
    entity: CompiledEntity, columns: Iterable[str], text: str | None
) -> tuple[Expansion, ...]:
    """Parse ``expand=account,owner`` for a caller who sees ``columns``.

    Raises ``BadRequestError`` (400) naming an unknown name (a hidden field is
    unknown), a field that holds no reference, or an empty name (``expand=``).
    """
    if text is None:
        return ()
    visible = tuple(columns)
    allowed = expandable(entity, visible)
    found: dict[str, Expansion] = {}
    for name in split_names("expand", text):
        expansion = allowed.get(name)
        if expansion is not None:
            found.setdefault(expansion.column, expansion)
            continue
        if name in visible:
            raise BadRequestError(
                Translatable(
                    "Field '%(name)s' holds no reference and cannot be expanded.", name=name
                ),
                {"expand": [_not_expandable(name, list(allowed))]},
            )
        raise BadRequestError(
            Translatable("Cannot expand unknown field '%(name)s'.", name=name),
            {"expand": [unknown_among(name, allowed)]},
        )
    return tuple(found.values())


def _not_expandable(name: str, allowed: list[str]) -> Translatable:
    if not allowed:
        return Translatable(
            "Field '%(name)s' holds no reference and cannot be expanded (nothing is expandable).",
            name=name,
        )
    return Translatable(
        "Field '%(name)s' holds no reference and cannot be expanded (expandable: %(options)s).",
        name=name,
        options=", ".join(allowed),
    )


def with_expanded(
    fields: tuple[str, ...] | None, expansions: tuple[Expansion, ...]
) -> tuple[str, ...] | None:
    """``fields=`` plus the expanded columns (an expanded column is always returned)."""
    if fields is None or not expansions:
        return fields
    return tuple(dict.fromkeys([*fields, *(e.column for e in expansions)]))


def _is_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _ids(items: Iterable[Mapping[str, Any]], column: str) -> list[int]:
    found: set[Any] = set()
    for item in items:
        value = item.get(column)
        found.update(value if isinstance(value, list) else (value,))
    return sorted(v for v in found if _is_id(v))


def _record_titles(
    conn: sa.Connection, access: Access, target: str, ids: list[int], ectx: EvalContext
) -> dict[int, str]:
    """Titles of the live records ``ids`` of ``target`` that the caller may read."""
    compiled = access.app.entities.get(target)
    if compiled is None or not access.can(target, "read"):
        return {}
    t = compiled.table
    title = compiled.entity.title
    columns = [t.c.id]
    if title and title in t.c and title != "id":
        columns.append(t.c[title])
    query = sa.select(*columns).where(t.c.id.in_(ids), t.c.deleted_at.is_(None))
    scope = access.scope(compiled, ectx)
    if scope is not None:
        query = query.where(scope)
    return {
        int(row.id): title_of(access, compiled, dict(row._mapping)) for row in conn.execute(query)
    }


def _expand_any(
    conn: sa.Connection,
    access: Access,
    items: list[dict[str, Any]],
    column: str,
    ectx: EvalContext,
) -> None:
    """Add ``title`` to each ``{"entity", "id"}`` of an ``any_reference`` column (one query
    per entity named)."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        value = item.get(column)
        if isinstance(value, dict) and _is_id(value.get("id")):
            wanted.setdefault(str(value.get("entity")), set()).add(value["id"])
    titles = {
        entity: _record_titles(conn, access, entity, sorted(ids), ectx)
        for entity, ids in wanted.items()
    }
    for item in items:
        value = item.get(column)
        if isinstance(value, dict) and "entity" in value:
            known = titles.get(str(value["entity"]), {})
            ident = value.get("id")
            item[column] = {**value, "title": known.get(ident) if _is_id(ident) else None}


def expand_items(
    conn: sa.Connection,
    access: Access,
    items: list[dict[str, Any]],
    expansions: tuple[Expansion, ...],
    *,
    ectx: EvalContext,
    user_names: UserNames,
) -> None:
    """Replace, in place, each expanded column's id of ``items`` by ``{"id", "title"}``."""
    if not items or not expansions:
        return
    titles: dict[str, Mapping[int, str]] = {}
    user_ids: set[int] = set()
    for expansion in expansions:
        if expansion.any_entity:
            _expand_any(conn, access, items, expansion.column, ectx)
            continue
        ids = _ids(items, expansion.column)
        if expansion.target is None:
            user_ids.update(ids)
        elif ids:
            titles[expansion.column] = _record_titles(conn, access, expansion.target, ids, ectx)
    names = user_names(sorted(user_ids)) if user_ids else {}
    for expansion in expansions:
        if expansion.any_entity:
            continue
        known = names if expansion.target is None else titles.get(expansion.column, {})
        for item in items:
            value = item.get(expansion.column)
            if _is_id(value):
                item[expansion.column] = {"id": value, "title": known.get(value)}
            elif isinstance(value, list):
                item[expansion.column] = [
                    {"id": v, "title": known.get(v)} if _is_id(v) else v for v in value
                ]


__all__ = [
    "ALIASES",
    "USER_COLUMNS",
    "Expansion",
    "UserNames",
    "expand_items",
    "expandable",
    "parse_expand",
    "with_expanded",
]
