"""Resolve reference cells: a target id, or a lookup field's value (creating it if asked)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import FieldDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz import Access
from trellis.platform.imports.convert import CellError
from trellis.platform.imports.mapping import ImportMap
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import RecordError
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.service import RecordService
from trellis.rules.expr import EvalContext

#: Resolved lookups kept at most (the cache is emptied past it: memory stays flat).
CACHE_LIMIT = 20_000


class ReferenceResolver:
    """Finds the target of a reference cell in the caller's scope, once per distinct value."""

    def __init__(
        self, app: CompiledApp, access: Access, service: RecordService, imap: ImportMap
    ) -> None:
        self.app = app
        self.access = access
        self.service = service
        self.lookups = imap.lookups
        self.create = frozenset(imap.create_missing)
        self.ctx: SaveContext | None = None
        #: Lookups of committed batches, and of the batch in progress (dropped if it
        #: rolls back: a target it created would be gone).
        self._cache: dict[tuple[str, str], int] = {}
        self._pending: dict[tuple[str, str], int] = {}

    def committed(self) -> None:
        """The batch committed: its lookups stay valid."""
        if len(self._cache) + len(self._pending) > CACHE_LIMIT:
            self._cache.clear()
        self._cache.update(self._pending)
        self._pending.clear()

    def rolled_back(self) -> None:
        """The batch rolled back: forget its lookups."""
        self._pending.clear()

    def __call__(self, f: FieldDef, cell: Any) -> int:
        """The target id of ``cell`` for reference field ``f``.

        Raises:
            CellError: not found (and not to be created), several found, or not readable.
        """
        lookup = self.lookups.get(f.name)
        target = self.app.entities[str(f.to)]
        if lookup is None:
            text = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell)
            if not text.isdigit():
                raise CellError(
                    Translatable(
                        "'%(cell)s' is not a %(entity)s id; name a lookup field for "
                        "%(field)s in the map (lookups: {%(field)s: name}).",
                        cell=cell,
                        entity=target.name,
                        field=f.name,
                    )
                )
            return int(text)
        text = str(cell).strip()
        key = (f.name, text)
        cached = self._cache.get(key) or self._pending.get(key)
        if cached is not None:
            return cached
        found = self._find(f, lookup, text)
        if found is None:
            if f.name not in self.create:
                raise CellError(
                    Translatable(
                        "No %(entity)s with %(lookup)s '%(text)s'.",
                        entity=target.name,
                        lookup=lookup,
                        text=text,
                    )
                )
            return self._create(target.name, lookup, text)
        self._pending[key] = found
        return found

    def _find(self, f: FieldDef, lookup: str, text: str) -> int | None:
        ctx = self._context()
        target = self.app.entities[str(f.to)]
        if not self.access.can(target.name, "read"):
            raise CellError(
                Translatable("You may not read %(entity)s records.", entity=target.name)
            )
        if lookup not in target.entity.fields or lookup in self.access.entity(target.name).hidden:
            raise CellError(
                Translatable(
                    "%(entity)s has no field '%(lookup)s'.", entity=target.name, lookup=lookup
                )
            )
        values, errors = target.validator.check({lookup: text})
        if errors:
            raise CellError(
                Translatable(
                    "'%(text)s' is not a valid %(entity)s %(lookup)s.",
                    text=text,
                    lookup=lookup,
                    entity=target.name,
                )
            )
        t = target.table
        where = [t.c[lookup] == values[lookup], t.c.deleted_at.is_(None)]
        scope = self.access.scope(target, EvalContext(now=ctx.now, user_id=self.access.user_id))
        if scope is not None:
            where.append(scope)
        ids = list(ctx.conn.execute(sa.select(t.c.id).where(*where).limit(2)).scalars())
        if len(ids) > 1:
            raise CellError(
                Translatable(
                    "'%(text)s' matches several %(entity)s records by %(lookup)s; use their ids.",
                    text=text,
                    entity=target.name,
                    lookup=lookup,
                )
            )
        return int(ids[0]) if ids else None

    def _create(self, entity: str, lookup: str, text: str) -> int:
        """Create the missing target in the row's savepoint (kept only if the row is)."""
        ctx = self._context()
        try:
            self.access.require(entity, "create")
            record = self.service.create(ctx, self.app.entities[entity], {lookup: text})
        except RecordError as exc:
            raise CellError(
                Translatable(
                    "No %(entity)s with %(lookup)s '%(text)s', and it cannot be created: "
                    "%(reason)s",
                    entity=entity,
                    lookup=lookup,
                    text=text,
                    reason=_first_problem(exc),
                )
            ) from None
        return int(record["id"])

    def _context(self) -> SaveContext:
        if self.ctx is None:
            raise RuntimeError("The resolver is used outside a batch.")
        return self.ctx


def _first_problem(exc: RecordError) -> str:
    """The refusal's first field message (still translatable), else its message."""
    for messages in exc.errors.values():
        if messages:
            return messages[0]
    return exc.message


__all__ = ["CACHE_LIMIT", "ReferenceResolver"]
