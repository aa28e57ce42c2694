"""Record operations of a caller: read, list, create, update, delete, bulk, form, dry run.

Each takes the :class:`Call` (who, on which app version, with what access) and plain
values, runs in a transaction of the tenant's database and returns domain values
(services/values.py) or raises the errors of platform/records/errors.py. The JSON API
and the screens both call these; neither builds a record operation of its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call, require_reachable, visible_record
from trellis.platform.authz.restrict import check_list_names
from trellis.platform.automation import record_service
from trellis.platform.duplicates.errors import (
    DuplicateBlockedError,
    DuplicateError,
    DuplicatesFoundError,
)
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.lines import lines_json
from trellis.platform.records.list_shape import list_shape
from trellis.platform.records.query import (
    ListRequest,
    RecordQuery,
    parse_fields,
    parse_limit,
    parse_sort,
)
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.records.values import to_json
from trellis.platform.records.views import encode, record_json
from trellis.platform.runtime import PartKey, Runtime
from trellis.platform.services.bulk import apply_bulk, parse_bulk
from trellis.platform.services.dry_run import explain_save
from trellis.platform.services.duplicate_candidates import present_candidates
from trellis.platform.services.expand import (
    Expansion,
    expand_items,
    parse_expand,
    with_expanded,
)
from trellis.platform.services.filter_checks import FilterChecks
from trellis.platform.services.idempotency import request_hash, store_answer, stored_answer
from trellis.platform.services.slow_lists import note_slow_list
from trellis.platform.services.values import IdempotencyKey, ListArgs, Page, RecordBody
from trellis.rules.expr import EvalContext

_QUERY: PartKey[RecordQuery] = PartKey("records.query")
_CHECKS: PartKey[FilterChecks] = PartKey("records.filter_checks")


def _hidden(call: Call) -> Callable[[str], Collection[str]]:
    """The columns of an entity hidden from the caller (lines of a parent read inline)."""

    def hidden(name: str) -> Collection[str]:
        roles = call.access.roles.entities
        return roles[name].hidden if name in roles else ()

    return hidden


class RecordsService:
    """Record operations on behalf of authenticated calls."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # plumbing -----------------------------------------------------------------------
    def saver(self, call: Call) -> RecordService:
        """The record service (save pipeline and hooks) of the call's app version."""
        return record_service(call.rt)

    def _query(self, call: Call) -> RecordQuery:
        cap = self.runtime.config.count_cap
        return call.rt.part(_QUERY, lambda rt: RecordQuery(rt.app, count_cap=cap))

    def connect(self, call: Call, *, write: bool = False) -> sa.Connection:
        """A connection to the tenant's database (``write``: the writer's)."""
        return self.runtime.engines.tenant_connection(call.tenant, write=write)

    def save_context(self, call: Call, conn: sa.Connection) -> SaveContext:
        """A save by the caller, now by the runtime's clock."""
        return SaveContext(conn, call.member, self.runtime.clock.now(), source=call.source)

    def eval_context(self, call: Call) -> EvalContext:
        """The expression context of a read by the caller (clock and user)."""
        return EvalContext(now=self.runtime.clock.now(), user_id=call.identity.user_id)

    # reads --------------------------------------------------------------------------
    def read(
        self, call: Call, entity: CompiledEntity, record_id: int, expand: str | None = None
    ) -> RecordBody:
        """One live record inside the caller's scope (``expand``: references to embed)."""
        expansions = parse_expand(entity, call.access.entity(entity.name).columns, expand)
        with self.connect(call) as conn:
            require_reachable(call, conn, entity, record_id)
            row = self.saver(call).get(conn, entity, record_id)
            if row is None:
                raise NotFoundError(
                    Translatable("No %(entity)s with id %(id)s.", entity=entity.name, id=record_id)
                )
            body = visible_record(call, entity, row)
            self.expand_items(call, conn, [body], expansions)
            body.update(lines_json(conn, call.app, entity, record_id, _hidden(call)))
        return RecordBody(body, row["version"])

    def expand_record(
        self, call: Call, entity: CompiledEntity, record: dict[str, Any], expand: str | None
    ) -> None:
        """Embed ``{id, title}`` of the references ``expand`` names into ``record`` (in place)."""
        expansions = parse_expand(entity, call.access.entity(entity.name).columns, expand)
        if expansions:
            with self.connect(call) as conn:
                self.expand_items(call, conn, [record], expansions)

    def filter_checks(self, call: Call) -> FilterChecks:
        """What a restricted caller may name in a filter (kept per app version)."""
        return call.rt.part(_CHECKS, lambda _rt: FilterChecks())

    def expand_items(
        self,
        call: Call,
        conn: sa.Connection,
        items: list[dict[str, Any]],
        expansions: tuple[Expansion, ...],
    ) -> None:
        """Embed the ``expand=`` references and users of ``items`` in place."""
        if not expansions:
            return

        def names(ids: list[int]) -> Mapping[int, str]:
            return self.runtime.registry.member_names(call.tenant, ids)

        ectx = self.eval_context(call)
        expand_items(conn, call.access, items, expansions, ectx=ectx, user_names=names)

    def page(
        self, call: Call, entity: CompiledEntity, args: ListArgs, *, count: bool = True
    ) -> Page:
        """A page of in-scope records: filter, sort, keyset cursor, fields, expansions.

        ``count=False`` skips the count query; the page's ``count`` is then None.
        """
        config = self.runtime.config
        access = call.access
        check_list_names(access, entity, args.sort, args.fields)
        expansions = parse_expand(entity, access.entity(entity.name).columns, args.expand)
        request = ListRequest(
            filter=args.filter,
            sort=parse_sort(entity, args.sort),
            limit=parse_limit(args.limit, config.default_page_size, config.max_page_size),
            cursor=args.cursor,
            fields=with_expanded(parse_fields(entity, args.fields), expansions),
        )
        ectx = EvalContext(
            now=self.runtime.clock.now(), user_id=call.identity.user_id, resolve=lambda _e, _i: None
        )
        if request.filter and not access.admin:
            self.filter_checks(call).check(access.roles, entity.name, request.filter)
        scope = access.scope(entity, ectx)
        columns = request.fields or access.entity(entity.name).columns
        query = self._query(call)
        with self.connect(call) as conn:
            started = time.perf_counter()
            page = query.page(
                conn,
                entity,
                request,
                ectx,
                scope=scope,
                hop_scope=access.hop_scope(ectx),
                count=count,
            )
            elapsed_ms = (time.perf_counter() - started) * 1000
            items = [record_json(entity, row, columns) for row in page.rows]
            self.expand_items(call, conn, items, expansions)
        if elapsed_ms >= config.slow_list_ms > 0:
            tree = query.compiled_filter(entity, request.filter).tree if request.filter else None
            shape = list_shape(tree, request.sort)
            note_slow_list(self.runtime, call.rt, entity.name, shape, elapsed_ms)
        return Page(items, page.next_cursor, page.count, page.count_exact)

    def titles(
        self, call: Call, entity: CompiledEntity, ids: Collection[int], title: str | None
    ) -> dict[int, str]:
        """Titles of the live, in-scope records ``ids`` of ``entity`` (``#id`` when untitled).

        ``title`` is the entity's title field; when it is hidden from the caller (or None)
        each record is named by its id. Ids out of scope are simply absent.
        """
        if not ids or not call.access.can(entity.name, "read"):
            return {}
        t = entity.table
        shown = title if title and title in call.access.entity(entity.name).columns else None
        columns = [t.c.id, *([t.c[shown]] if shown else [])]
        query = sa.select(*columns).where(t.c.id.in_(sorted(ids)), t.c.deleted_at.is_(None))
        scope = call.access.scope(entity, self.eval_context(call))
        if scope is not None:
            query = query.where(scope)
        with self.connect(call) as conn:
            rows = conn.execute(query).all()
        field = entity.entity.fields.get(shown) if shown else None
        return {
            row[0]: str((to_json(row[1], field) if shown else None) or f"#{row[0]}") for row in rows
        }

    def form(
        self, call: Call, entity: CompiledEntity, record_id: int | None, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Which fields are visible, required and read-only for a record (or draft) now."""
        service = self.saver(call)
        with self.connect(call) as conn:
            ctx = self.save_context(call, conn)
            if record_id is None:
                record: dict[str, Any] = dict.fromkeys(entity.entity.fields)
            else:
                require_reachable(call, conn, entity, record_id)
                stored = service.get(conn, entity, record_id)
                if stored is None:
                    raise NotFoundError(
                        Translatable(
                            "No %(entity)s with id %(id)s.", entity=entity.name, id=record_id
                        )
                    )
                record = stored
            values, _errors = entity.validator.check(data)
            record.update(values)
            return call.access.visible(entity, service.form_state(ctx, entity, record))

    # writes -------------------------------------------------------------------------
    def create(
        self,
        call: Call,
        entity: CompiledEntity,
        data: dict[str, Any],
        idempotency: IdempotencyKey | None = None,
        *,
        allow_duplicate: bool = False,
    ) -> RecordBody:
        """Create a record; a replayed idempotency key returns the first answer.

        The save's authorize step checks the caller's action and fields (403, 422);
        duplicate rules answer 409 (``warn``, unless ``allow_duplicate``) or 422 (``block``)
        with the candidates the caller may read.
        """
        service = self.saver(call)
        key = fingerprint = None
        if idempotency is not None:
            key = f"{call.identity.user_id}:{idempotency.key}"
            fingerprint = request_hash(entity.name, idempotency.request)
        try:
            with self.connect(call, write=True) as conn, conn.begin():
                if key is not None and fingerprint is not None:
                    stored = stored_answer(conn, call.app, key, fingerprint)
                    if stored is not None:
                        first = json.loads(stored[1])
                        return RecordBody(first, int(first.get("version") or 1), replayed=True)
                ctx = self.save_context(call, conn)
                ctx.allow_duplicate = allow_duplicate
                record = visible_record(call, entity, service.create(ctx, entity, data))
                record.update(lines_json(conn, call.app, entity, int(record["id"]), _hidden(call)))
                if key is not None and fingerprint is not None:
                    store_answer(conn, call.app, key, fingerprint, (201, encode(record)), ctx.now)
        except (DuplicatesFoundError, DuplicateBlockedError) as error:
            self._present(call, error, entity)
            raise
        return RecordBody(record, 1)

    def update(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        data: dict[str, Any],
        expected_version: int | None,
        *,
        allow_duplicate: bool = False,
    ) -> RecordBody:
        """Partially update a record with optimistic locking (``expected_version``).

        The save's authorize step checks the caller's action, fields and scope;
        duplicate rules answer as for :meth:`create`.
        """
        service = self.saver(call)
        try:
            with self.connect(call, write=True) as conn, conn.begin():
                ctx = self.save_context(call, conn)
                ctx.allow_duplicate = allow_duplicate
                record = service.update(ctx, entity, record_id, data, expected_version)
                body = visible_record(call, entity, record)
                body.update(lines_json(conn, call.app, entity, record_id, _hidden(call)))
        except (DuplicatesFoundError, DuplicateBlockedError) as error:
            self._present(call, error, entity)
            raise
        return RecordBody(body, record["version"])

    def _present(self, call: Call, error: DuplicateError, entity: CompiledEntity) -> None:
        """Show the duplicate candidates the caller may read, with their titles."""

        def titles(target: CompiledEntity, ids: Collection[int]) -> dict[int, str]:
            return self.titles(call, target, ids, target.entity.title)

        present_candidates(error, entity, titles)

    def delete(
        self, call: Call, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record (the save's authorize step checks action and scope)."""
        service = self.saver(call)
        with self.connect(call, write=True) as conn, conn.begin():
            ctx = self.save_context(call, conn)
            service.delete(ctx, entity, record_id, expected_version)

    def bulk(self, call: Call, entity: CompiledEntity, payload: Any) -> dict[str, Any]:
        """Create or upsert many records; each item is applied whole or not at all."""
        call.access.require(entity.name, "import")
        items, upsert_key = parse_bulk(entity, payload)
        if upsert_key is not None and upsert_key in call.access.entity(entity.name).hidden:
            raise BadRequestError(
                Translatable(
                    "upsert_key '%(key)s' is not a field of %(entity)s.",
                    key=upsert_key,
                    entity=entity.name,
                ),
                {"upsert_key": [Translatable("Unknown field '%(name)s'.", name=upsert_key)]},
            )
        service = self.saver(call)
        with self.connect(call, write=True) as conn, conn.begin():
            ctx = self.save_context(call, conn)
            ctx.source = "import"
            return apply_bulk(
                ctx,
                service,
                call.access,
                entity,
                items,
                upsert_key,
                render=lambda record: visible_record(call, entity, record),
            )

    def dry_run(
        self,
        call: Call,
        entity: CompiledEntity,
        data: dict[str, Any],
        record_id: int | None,
        expected_version: int | None,
    ) -> dict[str, Any]:
        """Run a create (``record_id`` None) or update, explain each step, write nothing."""
        service = self.saver(call)
        return explain_save(self.runtime, service, call, entity, data, record_id, expected_version)


__all__ = ["RecordsService"]
