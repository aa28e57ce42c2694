"""The tenant JSON API's operations, independent of the web framework."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from trellis.platform.api.auth import TokenAuthenticator
from trellis.platform.api.bulk import apply_bulk, parse_bulk
from trellis.platform.api.check_request import run_check
from trellis.platform.api.dry_run import explain_save
from trellis.platform.api.expand import Expansion, expand_items, parse_expand, with_expanded
from trellis.platform.api.idempotency import request_hash, store_answer, stored_answer
from trellis.platform.api.openapi import build_openapi
from trellis.platform.api.openapi_restrict import restrict_openapi
from trellis.platform.api.record_export import export_records
from trellis.platform.authz import Authorizer, EnforcerCache, read_paths
from trellis.platform.authz.call import Call, require_reachable, visible_record
from trellis.platform.authz.directory import MemberDirectory
from trellis.platform.authz.restrict import check_list_names
from trellis.platform.automation import build_hooks
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    BadRequestError,
    NotFoundError,
)
from trellis.platform.records.query import (
    ListRequest,
    RecordQuery,
    compile_filter,
    parse_fields,
    parse_limit,
    parse_sort,
)
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.records.views import encode, record_json
from trellis.platform.runtime import Runtime, TenantNotFoundError
from trellis.platform.triggers import bind_members
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import TokenIdentity


@dataclass(frozen=True, slots=True)
class ApiResult:
    """A response: status, JSON body bytes (None for 204) and extra headers."""

    status: int
    body: bytes | None
    headers: Mapping[str, str]


def _etag(version: Any) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


class TenantApi:
    """Authenticates calls and runs record operations in transactions."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.auth = TokenAuthenticator(runtime.registry, clock=runtime.clock)
        self.authz = Authorizer(
            EnforcerCache(store=runtime.policies),
            directory=MemberDirectory(runtime.registry, clock=runtime.clock),
            clock=runtime.clock,
        )
        self._services: WeakKeyDictionary[CompiledApp, tuple[RecordService, RecordQuery]] = (
            WeakKeyDictionary()
        )
        self._openapi: WeakKeyDictionary[CompiledApp, bytes] = WeakKeyDictionary()
        runtime.on_forget(self.forget)

    def forget(self, tenant: str) -> None:
        """Drop cached tokens, enforcers and member profiles of ``tenant``."""
        self.auth.forget(tenant)
        self.authz.forget(tenant)

    # plumbing -----------------------------------------------------------------------
    def call(self, tenant: str, authorization: str | None) -> Call:
        """Authenticate and find the tenant's current app (401 before 404)."""
        return self.call_as(tenant, self.auth.identify(authorization, tenant))

    def call_as(self, tenant: str, identity: TokenIdentity) -> Call:
        """A call of an already authenticated ``identity`` (a token or a session)."""
        try:
            app = self.runtime.app(tenant)
        except TenantNotFoundError as exc:
            raise NotFoundError(str(exc)) from None
        bind_members(app, self.runtime.registry, self.runtime.tenant(tenant).id)
        access = self.authz.access(tenant, app, identity.user_id, identity.roles)
        return Call(identity, app, tenant, access)

    def _tools(self, app: CompiledApp) -> tuple[RecordService, RecordQuery]:
        tools = self._services.get(app)
        if tools is None:
            tools = (
                RecordService(app, build_hooks(app)),
                RecordQuery(app, count_cap=self.runtime.config.count_cap),
            )
            self._services[app] = tools
        return tools

    def target(
        self, tenant: str, authorization: str | None, entity: str
    ) -> tuple[Call, CompiledEntity]:
        """Authenticate, then find ``entity`` (401, then 404/403, as every route needs)."""
        call = self.call(tenant, authorization)
        return call, self.entity(call, entity)

    @staticmethod
    def entity(call: Call, name: str) -> CompiledEntity:
        """The entity ``name``: 404 when unknown, 403 when the caller may not read it."""
        entity = call.app.entities.get(name)
        if entity is None:
            raise NotFoundError(f"No entity '{name}' in this tenant.")
        call.access.require(name, "read")
        return entity

    #: 404 unless live record ``record_id`` is inside the caller's scope.
    reachable = staticmethod(require_reachable)

    def _connect(self, call: Call, *, write: bool = False) -> sa.Connection:
        return self.runtime.engines.tenant_connection(call.tenant, write=write)

    def _save_context(self, call: Call, conn: sa.Connection) -> SaveContext:
        """A save by the caller, now by the runtime's clock."""
        return SaveContext(
            conn, call.identity.user_id, self.runtime.clock.now(), roles=call.identity.roles
        )

    # operations ---------------------------------------------------------------------
    def openapi(self, call: Call) -> ApiResult:
        """The tenant's OpenAPI document."""
        config = self.runtime.config
        limits = {"default_limit": config.default_page_size, "max_limit": config.max_page_size}
        body = self._openapi.get(call.app)
        if body is None:
            body = encode(build_openapi(call.app, call.tenant, **limits))
            self._openapi[call.app] = body
        if not call.access.admin:
            doc = build_openapi(call.app, call.tenant, **limits)
            body = encode(restrict_openapi(call.access, doc, f"/t/{call.tenant}/api"))
        return ApiResult(200, body, {})

    def read(
        self, call: Call, entity: CompiledEntity, record_id: int, expand: str | None = None
    ) -> ApiResult:
        """Read one live record (``expand`` names reference and user columns to embed)."""
        service, _ = self._tools(call.app)
        expansions = parse_expand(entity, call.access.entity(entity.name).columns, expand)
        with self._connect(call) as conn:
            self.reachable(call, conn, entity, record_id)
            row = service.get(conn, entity, record_id)
            if row is None:
                raise NotFoundError(f"No {entity.name} with id {record_id}.")
            body = visible_record(call, entity, row)
            self._expand(call, conn, [body], expansions)
        return ApiResult(200, encode(body), _etag(row["version"]))

    def _expand(
        self,
        call: Call,
        conn: sa.Connection,
        items: list[dict[str, Any]],
        expansions: tuple[Expansion, ...],
    ) -> None:
        def names(ids: list[int]) -> Mapping[int, str]:
            return self.runtime.registry.member_names(call.tenant, ids)

        ectx = EvalContext(now=self.runtime.clock.now(), user_id=call.identity.user_id)
        expand_items(conn, call.access, items, expansions, ectx=ectx, user_names=names)

    def list_records(
        self, call: Call, entity: CompiledEntity, params: Mapping[str, str], *, count: bool = True
    ) -> ApiResult:
        """List records with filter, sort, keyset cursor and fields.

        ``count=False`` skips the count query; the body's ``count`` is then null.
        """
        config = self.runtime.config
        access = call.access
        check_list_names(access, entity, params.get("sort"), params.get("fields"))
        expansions = parse_expand(entity, access.entity(entity.name).columns, params.get("expand"))
        request = ListRequest(
            filter=params.get("filter") or None,
            sort=parse_sort(entity, params.get("sort")),
            limit=parse_limit(params.get("limit"), config.default_page_size, config.max_page_size),
            cursor=params.get("cursor") or None,
            fields=with_expanded(parse_fields(entity, params.get("fields")), expansions),
        )
        _, query = self._tools(call.app)
        ectx = EvalContext(
            now=self.runtime.clock.now(), user_id=call.identity.user_id, resolve=lambda _e, _i: None
        )
        if request.filter and not access.admin:
            visible = access.roles.visible_model
            compile_filter(request.filter, visible.entities[entity.name], visible)
        scope = access.scope(entity, ectx)
        columns = request.fields or access.entity(entity.name).columns
        with self._connect(call) as conn:
            page = query.page(
                conn,
                entity,
                request,
                ectx,
                scope=scope,
                hop_scope=access.hop_scope(ectx),
                count=count,
            )
            items = [record_json(entity, row, columns) for row in page.rows]
            self._expand(call, conn, items, expansions)
        body = {
            "items": items,
            "next_cursor": page.next_cursor,
            "count": page.count,
            "count_exact": page.count_exact,
        }
        return ApiResult(200, encode(body), {})

    def create(
        self,
        call: Call,
        entity: CompiledEntity,
        data: dict[str, Any],
        idempotency_key: str | None,
        raw: bytes,
    ) -> ApiResult:
        """Create a record; a replayed ``Idempotency-Key`` returns the first answer."""
        call.access.require(entity.name, "create")
        call.access.check_write(entity, data)
        service, _ = self._tools(call.app)
        fingerprint = request_hash(entity.name, raw)
        key = f"{call.identity.user_id}:{idempotency_key}" if idempotency_key else None
        with self._connect(call, write=True) as conn, conn.begin():
            stored = stored_answer(conn, call.app, key, fingerprint) if key else None
            if stored is not None:
                return ApiResult(*stored, {"Idempotent-Replayed": "true"})
            ctx = self._save_context(call, conn)
            record = service.create(ctx, entity, data)
            result = ApiResult(201, encode(visible_record(call, entity, record)), _etag(1))
            if key is not None:
                store_answer(conn, call.app, key, fingerprint, (201, result.body), ctx.now)
        return result

    def check(self, call: Call, body: dict[str, Any]) -> ApiResult:
        """Rule-editor support: errors of an expression or rule file, and what fits the cursor.

        Checked against the model as the caller sees it: a hidden or restricted field
        (also through a reference) is unknown and never suggested.
        """
        model = call.app.model if call.access.admin else call.access.roles.visible_model
        answer = run_check(model, body, lambda name: model.entities[self.entity(call, name).name])
        return ApiResult(200, encode(answer), {})

    def form(
        self, call: Call, entity: CompiledEntity, record_id: int | None, data: dict[str, Any]
    ) -> ApiResult:
        """Which fields are visible, required and read-only for a record (or draft) now."""
        service, _ = self._tools(call.app)
        with self._connect(call) as conn:
            ctx = self._save_context(call, conn)
            if record_id is None:
                record: dict[str, Any] = dict.fromkeys(entity.entity.fields)
            else:
                self.reachable(call, conn, entity, record_id)
                stored = service.get(conn, entity, record_id)
                if stored is None:
                    raise NotFoundError(f"No {entity.name} with id {record_id}.")
                record = stored
            values, _errors = entity.validator.check(data)
            record.update(values)
            state = call.access.visible(entity, service.form_state(ctx, entity, record))
        return ApiResult(200, encode({"fields": state}), {})

    def dry_run(
        self,
        call: Call,
        entity: CompiledEntity,
        data: dict[str, Any],
        record_id: int | None,
        expected_version: int | None,
    ) -> ApiResult:
        """Run a create (``record_id`` None) or update, explain each step, write nothing."""
        service, _ = self._tools(call.app)
        body = explain_save(self.runtime, service, call, entity, data, record_id, expected_version)
        return ApiResult(200, encode(body), {})

    def update(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        data: dict[str, Any],
        expected_version: int | None,
    ) -> ApiResult:
        """Partially update a record with optimistic locking."""
        call.access.require(entity.name, "update")
        call.access.check_write(entity, data)
        service, _ = self._tools(call.app)
        with self._connect(call, write=True) as conn, conn.begin():
            self.reachable(call, conn, entity, record_id)
            ctx = self._save_context(call, conn)
            record = service.update(ctx, entity, record_id, data, expected_version)
        return ApiResult(
            200, encode(visible_record(call, entity, record)), _etag(record["version"])
        )

    def delete(
        self, call: Call, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record."""
        call.access.require(entity.name, "delete")
        service, _ = self._tools(call.app)
        with self._connect(call, write=True) as conn, conn.begin():
            self.reachable(call, conn, entity, record_id)
            ctx = self._save_context(call, conn)
            service.delete(ctx, entity, record_id, expected_version)

    def bulk(self, call: Call, entity: CompiledEntity, payload: Any) -> ApiResult:
        """Create or upsert many records; each item is applied whole or not at all."""
        call.access.require(entity.name, "import")
        items, upsert_key = parse_bulk(entity, payload)
        if upsert_key is not None and upsert_key in call.access.entity(entity.name).hidden:
            raise BadRequestError(
                f"upsert_key '{upsert_key}' is not a field of {entity.name}.",
                {"upsert_key": [f"Unknown field '{upsert_key}'."]},
            )
        service, _ = self._tools(call.app)
        with self._connect(call, write=True) as conn, conn.begin():
            ctx = self._save_context(call, conn)
            body = apply_bulk(
                ctx,
                service,
                call.access,
                entity,
                items,
                upsert_key,
                render=lambda record: visible_record(call, entity, record),
            )
        return ApiResult(200, encode(body), {})

    # search, autocomplete, export (same compiled policy as lists) ----------------------
    def search(self, call: Call, q: str | None, limit: str | None = None) -> ApiResult:
        """``{"items": [{entity, id, title}]}``: readable, in-scope records matching ``q``."""
        words = read_paths.parse_words(q, required=True)
        size = read_paths.parse_limit(limit)
        ectx = EvalContext(now=self.runtime.clock.now(), user_id=call.identity.user_id)
        with self._connect(call) as conn:
            hits = read_paths.search(conn, call.access, ectx, words, size)
        return ApiResult(200, encode({"items": [h.as_json() for h in hits]}), {})

    def autocomplete(
        self, call: Call, entity: CompiledEntity, q: str | None, limit: str | None = None
    ) -> ApiResult:
        """``[{id, title}]`` of in-scope records of ``entity`` matching ``q`` (may be empty)."""
        call.access.require(entity.name, "read")
        words = read_paths.parse_words(q, required=False)
        size = read_paths.parse_limit(limit)
        ectx = EvalContext(now=self.runtime.clock.now(), user_id=call.identity.user_id)
        with self._connect(call) as conn:
            hits = read_paths.autocomplete(conn, call.access, entity, ectx, words, size)
        return ApiResult(200, encode([h.as_json(with_entity=False) for h in hits]), {})

    def export(
        self,
        call: Call,
        entity: CompiledEntity,
        fmt: str | None,
        filter_text: str | None = None,
        fields: str | None = None,
    ) -> ApiResult:
        """The in-scope records of ``entity`` as a CSV, xlsx or JSON file, audited."""
        content, headers = export_records(self.runtime, call, entity, fmt, filter_text, fields)
        return ApiResult(200, content, headers)


__all__ = ["ApiResult", "TenantApi"]
