"""The tenant JSON API's operations, independent of the web framework."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa

from trellis.metadata.model import DslType
from trellis.platform.api.auth import TokenAuthenticator
from trellis.platform.api.openapi import build_openapi
from trellis.platform.api.serialize import encode, record_json
from trellis.platform.automation import build_hooks
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    RecordError,
)
from trellis.platform.records.hooks import TraceStep
from trellis.platform.records.query import (
    ListRequest,
    RecordQuery,
    parse_fields,
    parse_limit,
    parse_sort,
)
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.runtime import Runtime, TenantNotFoundError
from trellis.platform.triggers import bind_members
from trellis.rules.editor import check_source
from trellis.rules.expr import EvalContext
from trellis.tenants.registry import TokenIdentity, utcnow

MAX_BULK_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class ApiResult:
    """A response: status, JSON body bytes (None for 204) and extra headers."""

    status: int
    body: bytes | None
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Call:
    """An authenticated call on one tenant's app."""

    identity: TokenIdentity
    app: CompiledApp
    tenant: str


def _etag(version: Any) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


class TenantApi:
    """Authenticates calls and runs record operations in transactions."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.auth = TokenAuthenticator(runtime.registry)
        self._services: WeakKeyDictionary[CompiledApp, tuple[RecordService, RecordQuery]] = (
            WeakKeyDictionary()
        )
        self._openapi: WeakKeyDictionary[CompiledApp, bytes] = WeakKeyDictionary()

    # plumbing -----------------------------------------------------------------------
    def call(self, tenant: str, authorization: str | None) -> Call:
        """Authenticate and find the tenant's current app (401 before 404)."""
        identity = self.auth.identify(authorization, tenant)
        try:
            app = self.runtime.app(tenant)
        except TenantNotFoundError as exc:
            raise NotFoundError(str(exc)) from None
        bind_members(app, self.runtime.registry, self.runtime.tenant(tenant).id)
        return Call(identity, app, tenant)

    def _tools(self, app: CompiledApp) -> tuple[RecordService, RecordQuery]:
        tools = self._services.get(app)
        if tools is None:
            tools = (
                RecordService(app, build_hooks(app)),
                RecordQuery(app, count_cap=self.runtime.config.count_cap),
            )
            self._services[app] = tools
        return tools

    @staticmethod
    def entity(call: Call, name: str) -> CompiledEntity:
        """The entity ``name`` or a 404."""
        entity = call.app.entities.get(name)
        if entity is None:
            raise NotFoundError(f"No entity '{name}' in this tenant.")
        return entity

    def _connect(self, call: Call, *, write: bool = False) -> sa.Connection:
        return self.runtime.engines.tenant_connection(call.tenant, write=write)

    # operations ---------------------------------------------------------------------
    def openapi(self, call: Call) -> ApiResult:
        """The tenant's OpenAPI document."""
        body = self._openapi.get(call.app)
        if body is None:
            body = encode(build_openapi(call.app, call.tenant))
            self._openapi[call.app] = body
        return ApiResult(200, body, {})

    def read(self, call: Call, entity: CompiledEntity, record_id: int) -> ApiResult:
        """Read one live record."""
        service, _ = self._tools(call.app)
        with self._connect(call) as conn:
            row = service.get(conn, entity, record_id)
        if row is None:
            raise NotFoundError(f"No {entity.name} with id {record_id}.")
        return ApiResult(200, encode(record_json(entity, row)), _etag(row["version"]))

    def list_records(
        self, call: Call, entity: CompiledEntity, params: Mapping[str, str]
    ) -> ApiResult:
        """List records with filter, sort, keyset cursor and fields."""
        config = self.runtime.config
        request = ListRequest(
            filter=params.get("filter") or None,
            sort=parse_sort(entity, params.get("sort")),
            limit=parse_limit(params.get("limit"), config.default_page_size, config.max_page_size),
            cursor=params.get("cursor") or None,
            fields=parse_fields(entity, params.get("fields")),
        )
        _, query = self._tools(call.app)
        ectx = EvalContext(now=utcnow(), user_id=call.identity.user_id, resolve=lambda _e, _i: None)
        with self._connect(call) as conn:
            page = query.page(conn, entity, request, ectx)
        body = {
            "items": [record_json(entity, row, request.fields) for row in page.rows],
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
        service, _ = self._tools(call.app)
        request_hash = hashlib.sha256(entity.name.encode() + b"\0" + raw).hexdigest()
        key = f"{call.identity.user_id}:{idempotency_key}" if idempotency_key else None
        with self._connect(call, write=True) as conn, conn.begin():
            if key is not None:
                replay = self._replay(conn, call.app, key, request_hash)
                if replay is not None:
                    return replay
            ctx = SaveContext(conn, call.identity.user_id, utcnow(), roles=call.identity.roles)
            record = service.create(ctx, entity, data)
            result = ApiResult(201, encode(record_json(entity, record)), _etag(1))
            if key is not None:
                conn.execute(
                    call.app.idempotency.insert().values(
                        key=key,
                        request_hash=request_hash,
                        status=201,
                        body=result.body,
                        created_at=ctx.now,
                    )
                )
        return result

    def _replay(
        self, conn: sa.Connection, app: CompiledApp, key: str, request_hash: str
    ) -> ApiResult | None:
        t = app.idempotency
        row = conn.execute(sa.select(t).where(t.c.key == key)).first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise ConflictError(
                "This Idempotency-Key was used with a different request.",
                {"Idempotency-Key": ["Already used with another request."]},
            )
        return ApiResult(int(row.status), bytes(row.body), {"Idempotent-Replayed": "true"})

    def check(self, call: Call, body: dict[str, Any]) -> ApiResult:
        """Rule-editor support: errors of an expression and what may follow the cursor."""
        entity = self.entity(call, str(body.get("entity", "")))
        source = body.get("source")
        cursor = body.get("cursor")
        expected_name = body.get("expected", "boolean")
        if not isinstance(source, str):
            raise BadRequestError(
                "Send the expression text as 'source'.", {"source": ["This field is required."]}
            )
        if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
            raise BadRequestError(
                "'cursor' is a character offset.", {"cursor": ["Must be a whole number."]}
            )
        try:
            expected = DslType(expected_name) if expected_name is not None else None
        except ValueError:
            choices = ", ".join(t.value for t in DslType)
            raise BadRequestError(
                "Unknown expected type.", {"expected": [f"Use one of: {choices}."]}
            ) from None
        report = check_source(
            source, entity.entity, call.app.model, cursor=cursor, expected=expected
        )
        return ApiResult(200, encode(report.as_json()), {})

    def form(
        self, call: Call, entity: CompiledEntity, record_id: int | None, data: dict[str, Any]
    ) -> ApiResult:
        """Which fields are visible, required and read-only for a record (or draft) now."""
        service, _ = self._tools(call.app)
        with self._connect(call) as conn:
            ctx = SaveContext(conn, call.identity.user_id, utcnow(), roles=call.identity.roles)
            if record_id is None:
                record: dict[str, Any] = dict.fromkeys(entity.entity.fields)
            else:
                stored = service.get(conn, entity, record_id)
                if stored is None:
                    raise NotFoundError(f"No {entity.name} with id {record_id}.")
                record = stored
            values, _errors = entity.validator.check(data)
            record.update(values)
            state = service.form_state(ctx, entity, record)
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
        trace: list[TraceStep] = []
        body: dict[str, Any] = {"would_save": True, "record": None, "steps": [], "errors": {}}
        with self._connect(call, write=True) as conn, conn.begin() as tx:
            ctx = SaveContext(
                conn, call.identity.user_id, utcnow(), roles=call.identity.roles, trace=trace
            )
            try:
                if record_id is None:
                    record = service.create(ctx, entity, data)
                    record["id"] = None
                else:
                    record = service.update(ctx, entity, record_id, data, expected_version)
                body["record"] = record_json(entity, record)
            except RecordError as exc:
                # Validation, workflow and rule refusals: explained, not raised.
                if isinstance(exc, NotFoundError):
                    raise
                body.update(would_save=False, errors=exc.body()["errors"])
            finally:
                tx.rollback()
        body["steps"] = [step.as_json() for step in trace]
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
        service, _ = self._tools(call.app)
        with self._connect(call, write=True) as conn, conn.begin():
            ctx = SaveContext(conn, call.identity.user_id, utcnow(), roles=call.identity.roles)
            record = service.update(ctx, entity, record_id, data, expected_version)
        return ApiResult(200, encode(record_json(entity, record)), _etag(record["version"]))

    def delete(
        self, call: Call, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record."""
        service, _ = self._tools(call.app)
        with self._connect(call, write=True) as conn, conn.begin():
            ctx = SaveContext(conn, call.identity.user_id, utcnow(), roles=call.identity.roles)
            service.delete(ctx, entity, record_id, expected_version)

    def bulk(self, call: Call, entity: CompiledEntity, payload: Any) -> ApiResult:
        """Create or upsert many records; each item is applied whole or not at all."""
        items, upsert_key = self._bulk_items(entity, payload)
        service, _ = self._tools(call.app)
        results: list[dict[str, Any]] = []
        counts = {"created": 0, "updated": 0, "failed": 0}
        with self._connect(call, write=True) as conn, conn.begin():
            ctx = SaveContext(conn, call.identity.user_id, utcnow(), roles=call.identity.roles)
            item: Any
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    results.append(
                        {
                            "index": index,
                            "status": "error",
                            "errors": {"__all__": ["Each item must be a JSON object."]},
                        }
                    )
                    counts["failed"] += 1
                    continue
                savepoint = conn.begin_nested()
                try:
                    status, record = self._bulk_one(ctx, service, entity, item, upsert_key)
                except RecordError as exc:
                    savepoint.rollback()
                    results.append(
                        {"index": index, "status": "error", "errors": exc.body()["errors"]}
                    )
                    counts["failed"] += 1
                    continue
                savepoint.commit()
                counts[status] += 1
                results.append(
                    {
                        "index": index,
                        "status": status,
                        "id": record["id"],
                        "record": record_json(entity, record),
                    }
                )
        return ApiResult(200, encode({"items": results, **counts}), {})

    @staticmethod
    def _bulk_items(entity: CompiledEntity, payload: Any) -> tuple[list[Any], str | None]:
        upsert_key: str | None = None
        if isinstance(payload, dict):
            unknown = set(payload) - {"items", "upsert_key"}
            if unknown or not isinstance(payload.get("items"), list):
                raise BadRequestError(
                    'Send a JSON array, or {"items": [...], "upsert_key": "field"}.'
                )
            upsert_key = payload.get("upsert_key")
            items = payload["items"]
        elif isinstance(payload, list):
            items = payload
        else:
            raise BadRequestError("Send a JSON array of records.")
        if upsert_key is not None and (
            not isinstance(upsert_key, str) or upsert_key not in entity.entity.fields
        ):
            raise BadRequestError(
                f"upsert_key '{upsert_key}' is not a field of {entity.name}.",
                {"upsert_key": [f"Unknown field '{upsert_key}'."]},
            )
        if len(items) > MAX_BULK_ITEMS:
            raise BadRequestError(f"At most {MAX_BULK_ITEMS} items per bulk request.")
        return items, upsert_key

    @staticmethod
    def _bulk_one(
        ctx: SaveContext,
        service: RecordService,
        entity: CompiledEntity,
        item: dict[str, Any],
        upsert_key: str | None,
    ) -> tuple[str, dict[str, Any]]:
        if upsert_key is not None and item.get(upsert_key) is not None:
            t = entity.table
            existing = ctx.conn.execute(
                sa.select(t.c.id)
                .where(t.c[upsert_key] == item[upsert_key], t.c.deleted_at.is_(None))
                .limit(1)
            ).scalar()
            if existing is not None:
                return "updated", service.update(ctx, entity, int(existing), item, None)
        return "created", service.create(ctx, entity, item)


__all__ = ["ApiResult", "Call", "TenantApi"]
