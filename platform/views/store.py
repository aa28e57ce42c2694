"""The ``_saved_views`` table: a user's named list queries, private or shared.

Views live in the tenant's own database (not the system database) because they are
tenant data: they name the tenant's entities and fields, and they move, back up and
disappear with the tenant, like its records. A view belongs to the user who saved it;
``shared`` views are listed to every member who can read the entity, private ones to
their owner only. Only the owner deletes a view. The query is the list screen's query
string (search, sort, filter and builder rows), never a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from trellis.platform.db.tables import SAVED_VIEWS_TABLE
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import NotFoundError, ValidationFailedError
from trellis.tenants.registry import inserted_id

MAX_NAME_LENGTH = 80
MAX_QUERY_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class SavedView:
    """One saved view."""

    id: int
    user_id: int
    entity: str
    name: str
    query: str
    shared: bool

    @property
    def columns(self) -> tuple[str, ...]:
        """The view's chosen columns, in order (empty: the layout's)."""
        return tuple(v for k, v in parse_qsl(self.query) if k == "col")

    def owned_by(self, user_id: int | None) -> bool:
        """Whether ``user_id`` saved this view (and may delete it)."""
        return self.user_id == user_id


def _table(app: CompiledApp) -> sa.Table:
    return app.metadata.tables[SAVED_VIEWS_TABLE]


def _view(row: sa.Row[tuple[object, ...]]) -> SavedView:
    m = row._mapping
    return SavedView(
        int(m["id"]),
        int(m["user_id"]),
        str(m["entity"]),
        str(m["name"]),
        str(m["query"]),
        bool(m["shared"]),
    )


def list_views(conn: sa.Connection, app: CompiledApp, entity: str, user_id: int) -> list[SavedView]:
    """The views of ``entity`` that ``user_id`` sees: their own and the shared ones, by name."""
    t = _table(app)
    query = (
        sa.select(t)
        .where(t.c.entity == entity, sa.or_(t.c.user_id == user_id, t.c.shared.is_(True)))
        .order_by(t.c.name, t.c.id)
    )
    return [_view(row) for row in conn.execute(query)]


def check_view(name: str, query: str) -> str:
    """The trimmed name; raises ``ValidationFailedError`` naming every bad part."""
    errors: dict[str, list[str]] = {}
    clean = " ".join(name.split())
    if not clean:
        errors["name"] = ["Give the view a name."]
    elif len(clean) > MAX_NAME_LENGTH:
        errors["name"] = [f"At most {MAX_NAME_LENGTH} characters."]
    if len(query) > MAX_QUERY_LENGTH:
        errors["query"] = [f"The view's query is longer than {MAX_QUERY_LENGTH} characters."]
    if errors:
        raise ValidationFailedError(errors)
    return clean


def save_view(
    conn: sa.Connection,
    app: CompiledApp,
    *,
    entity: str,
    user_id: int,
    name: str,
    query: str,
    shared: bool,
    now: datetime,
) -> SavedView:
    """Save ``query`` as the user's view ``name`` of ``entity`` (replacing one so named).

    Raises:
        ValidationFailedError: empty or too long name, too long query.
    """
    clean = check_view(name, query)
    t = _table(app)
    mine = sa.and_(t.c.user_id == user_id, t.c.entity == entity, t.c.name == clean)
    found = conn.execute(sa.select(t.c.id).where(mine)).first()
    values = {"query": query, "shared": shared, "updated_at": now}
    if found is not None:
        conn.execute(t.update().where(t.c.id == found.id).values(**values))
        ident = int(found.id)
    else:
        result = conn.execute(
            t.insert().values(user_id=user_id, entity=entity, name=clean, created_at=now, **values)
        )
        ident = inserted_id(result)
    return SavedView(ident, user_id, entity, clean, query, shared)


def with_columns(query: str, columns: list[str]) -> str:
    """``query`` with its ``col`` parameters replaced by ``columns``."""
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "col"]
    return urlencode([*kept, *(("col", c) for c in columns)])


def set_view_columns(
    conn: sa.Connection,
    app: CompiledApp,
    *,
    entity: str,
    view_id: int,
    user_id: int,
    columns: list[str],
    now: datetime,
) -> SavedView:
    """Save ``columns`` (in order; empty: the layout's) into the user's view ``view_id``.

    Raises:
        NotFoundError: no such view of this user (another user's view is not revealed).
        ValidationFailedError: the view's query would grow too long.
    """
    t = _table(app)
    row = conn.execute(
        sa.select(t).where(t.c.id == view_id, t.c.entity == entity, t.c.user_id == user_id)
    ).first()
    if row is None:
        raise NotFoundError(f"No saved view {view_id} of yours on {entity}.")
    view = _view(row)
    query = with_columns(view.query, columns)
    check_view(view.name, query)
    conn.execute(t.update().where(t.c.id == view_id).values(query=query, updated_at=now))
    return SavedView(view.id, user_id, entity, view.name, query, view.shared)


def delete_view(
    conn: sa.Connection, app: CompiledApp, entity: str, view_id: int, user_id: int
) -> SavedView:
    """Delete view ``view_id`` of ``entity`` saved by ``user_id``; the deleted view.

    Raises:
        NotFoundError: no such view of this user (another user's view is not revealed).
    """
    t = _table(app)
    row = conn.execute(
        sa.select(t).where(t.c.id == view_id, t.c.entity == entity, t.c.user_id == user_id)
    ).first()
    if row is None:
        raise NotFoundError(f"No saved view {view_id} of yours on {entity}.")
    conn.execute(t.delete().where(t.c.id == view_id))
    return _view(row)


__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_QUERY_LENGTH",
    "SavedView",
    "check_view",
    "delete_view",
    "list_views",
    "save_view",
    "set_view_columns",
    "with_columns",
]
