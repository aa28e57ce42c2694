"""Public portals: the records of one entity a declared condition makes public.

Only records matching every ``public_when`` value (and not deleted) are ever read, listed,
searched or voted on; any other id answers exactly like a missing one. Searches read the
platform's full-text index (:func:`entity_match`), limited to the portal's ``search``
fields. A vote adds one to a counter field in a single conditional ``UPDATE``, so
concurrent votes are never lost; it is a counter, not an edit (no change row, no rules).
Lists can be narrowed by the portal's enum ``filters``; a record's translations are the
public records sharing its ``translation_of`` original.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import PortalDef
from trellis.platform.public.forms import UnknownPublicPageError
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.runtime import Runtime, TenantNotFoundError
from trellis.platform.runtime.app_runtime import AppRuntime
from trellis.platform.search import entity_match

#: Pages past this one are not offered (a listing is not a bulk export).
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class FoundPortal:
    """A portal of a tenant's current app version."""

    tenant: str
    portal: PortalDef
    rt: AppRuntime

    @property
    def entity(self) -> CompiledEntity:
        """The compiled entity the portal lists."""
        return self.rt.app.entities[self.portal.entity]

    @property
    def default_locale(self) -> str | None:
        """The tenant's default language (``locale:`` in app.yaml)."""
        value = getattr(self.rt.app.model, "locale", None)
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of a portal's list: the rows shown and whether another page follows."""

    rows: tuple[dict[str, Any], ...]
    page: int
    more: bool


class PublicPortals:
    """Finds portals and reads, searches and votes on their public records."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def find(self, tenant: str, name: str) -> FoundPortal:
        """The portal ``name`` of ``tenant``.

        Raises:
            UnknownPublicPageError: no such tenant (or nothing published) or portal.
        """
        try:
            rt = self.runtime.app_runtime(tenant)
        except TenantNotFoundError:
            raise UnknownPublicPageError(name) from None
        portal = rt.app.model.portals.get(name)
        if portal is None:
            raise UnknownPublicPageError(name)
        return FoundPortal(tenant, portal, rt)

    @staticmethod
    def _public(found: FoundPortal) -> list[Any]:
        t = found.entity.table
        conditions: list[Any] = [t.c.deleted_at.is_(None)]
        conditions += [t.c[name].in_(values) for name, values in found.portal.public_when.items()]
        return conditions

    def _columns(self, found: FoundPortal, *, body: bool) -> list[Any]:
        p = found.portal
        names = ["id", p.heading, p.summary, *(f.name for f in p.fields)]
        if body:
            names += [p.body, *(p.votes or ()), p.translation_of, p.language]
        t = found.entity.table
        return [t.c[n] for n in dict.fromkeys(n for n in names if n) if n in t.c]

    def listing(
        self,
        found: FoundPortal,
        words: Sequence[str],
        language: str | None,
        page: int,
        filters: Mapping[str, str] | None = None,
    ) -> Listing:
        """Page ``page`` (from 1) of the public records, those holding every word of
        ``words`` (best first) when given, in ``language`` when the portal has one, with
        each of ``filters`` (a portal filter field → one of its options)."""
        p = found.portal
        t = found.entity.table
        size = p.page_size
        with self.runtime.engines.tenant_connection(found.tenant) as conn:
            where = self._public(found)
            where += [t.c[name] == value for name, value in (filters or {}).items()]
            if p.language and language is not None:
                options = found.entity.entity.fields[p.language].options
                if not options or language in options:
                    where.append(t.c[p.language] == language)
            query = sa.select(*self._columns(found, body=False))
            if words and p.search:
                joined, match, rank = entity_match(conn, found.entity, p.search, words)
                query = query.select_from(joined).where(match).order_by(rank.desc(), t.c.id.desc())
            else:
                query = query.order_by(*self._order(found), t.c.id.desc())
            query = query.where(*where).limit(size + 1).offset((page - 1) * size)
            rows = [dict(r._mapping) for r in conn.execute(query)]
        return Listing(tuple(rows[:size]), page, len(rows) > size)

    @staticmethod
    def _order(found: FoundPortal) -> list[Any]:
        sort = found.portal.sort
        if not sort:
            return []
        column = found.entity.table.c[sort.lstrip("-")]
        return [column.desc() if sort.startswith("-") else column.asc()]

    def record(self, found: FoundPortal, record_id: int) -> dict[str, Any]:
        """The public record ``record_id`` (the portal's fields only).

        Raises:
            UnknownPublicPageError: no such record, or it is not public.
        """
        t = found.entity.table
        query = sa.select(*self._columns(found, body=True)).where(
            t.c.id == record_id, *self._public(found)
        )
        with self.runtime.engines.tenant_connection(found.tenant) as conn:
            row = conn.execute(query).first()
        if row is None:
            raise UnknownPublicPageError(str(record_id))
        return dict(row._mapping)

    def translations(self, found: FoundPortal, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The other public records of ``row``'s translation group (its original, when it
        is a translation, and every translation of that original), by language.

        Empty when the portal declares no ``translation_of``.
        """
        name = found.portal.translation_of
        if not name:
            return []
        t = found.entity.table
        root = row.get(name) or row["id"]
        names = dict.fromkeys(n for n in ("id", found.portal.heading, found.portal.language) if n)
        query = (
            sa.select(*(t.c[n] for n in names))
            .where(sa.or_(t.c.id == root, t.c[name] == root), t.c.id != row["id"])
            .where(*self._public(found))
            .order_by(t.c.id)
        )
        with self.runtime.engines.tenant_connection(found.tenant) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def vote(self, found: FoundPortal, record_id: int, helpful: bool) -> None:
        """Add one to the record's helpful (or not helpful) counter.

        Raises:
            UnknownPublicPageError: the portal takes no votes, or no such public record.
        """
        votes = found.portal.votes
        if votes is None:
            raise UnknownPublicPageError(str(record_id))
        t = found.entity.table
        column = t.c[votes[0] if helpful else votes[1]]
        statement = (
            t.update()
            .where(t.c.id == record_id, *self._public(found))
            .values({column.name: sa.func.coalesce(column, 0) + 1})
        )
        engines = self.runtime.engines
        with engines.tenant_connection(found.tenant, write=True) as conn, conn.begin():
            done = conn.execute(statement)
        if done.rowcount != 1:
            raise UnknownPublicPageError(str(record_id))


__all__ = ["MAX_PAGE", "FoundPortal", "Listing", "PublicPortals"]
