"""The JSON API's answers: authenticates the bearer token, runs services, encodes results.

The operations themselves are the typed services of platform/services; this adapter
only turns their domain values into ``ApiResult`` (status, JSON bytes, headers) for the
route handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trellis.platform.api.auth import TokenAuthenticator
from trellis.platform.api.openapi import build_openapi
from trellis.platform.api.openapi_restrict import restrict_openapi
from trellis.platform.api.recent_calls import RecentCalls
from trellis.platform.authz import Authorizer
from trellis.platform.authz.call import Call, require_reachable
from trellis.platform.i18n import DEFAULT_LOCALE, Translator, localized
from trellis.platform.i18n.form_labels import form_labels
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.views import encode
from trellis.platform.runtime import PartKey, Runtime
from trellis.platform.services import IdempotencyKey, ListArgs, RecordBody, Services
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.check_request import run_check
from trellis.platform.services.history import parse_as_of
from trellis.platform.services.list_as_of import page_as_of
from trellis.tenants.registry import TokenIdentity

_OPENAPI: PartKey[bytes] = PartKey("api.openapi")


@dataclass(frozen=True, slots=True)
class ApiResult:
    """A response: status, JSON body bytes (None for 204) and extra headers."""

    status: int
    body: bytes | None
    headers: Mapping[str, str]


def _etag(version: Any) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def _record(status: int, body: RecordBody) -> ApiResult:
    if body.replayed:
        return ApiResult(201, encode(body.record), {"Idempotent-Replayed": "true"})
    return ApiResult(status, encode(body.record), _etag(body.version))


class TenantApi:
    """Authenticates API calls and answers them from the application services."""

    def __init__(self, runtime: Runtime, services: Services | None = None) -> None:
        self.runtime = runtime
        self.services = services or Services(runtime)
        self.auth = TokenAuthenticator(runtime.registry, clock=runtime.clock)
        runtime.on_forget(self.auth.forget)
        #: Calls authenticated within the version-check interval (see recent_calls.py).
        self.recent = RecentCalls(runtime.clock, runtime.config.version_check_interval)
        runtime.on_forget(self.recent.forget)

    @property
    def authz(self) -> Authorizer:
        """The authorizer of the services."""
        return self.services.authz

    # plumbing -----------------------------------------------------------------------
    def call(self, tenant: str, authorization: str | None) -> Call:
        """Authenticate and find the tenant's current app (401 before 404)."""
        call = self.call_as(tenant, self.auth.identify(authorization, tenant))
        if authorization:
            self.recent.keep(tenant, authorization, call)
        return call

    def call_as(self, tenant: str, identity: TokenIdentity) -> Call:
        """A call of an already authenticated ``identity`` (a token or a session)."""
        return self.services.call_as(tenant, identity)

    def target(
        self, tenant: str, authorization: str | None, entity: str
    ) -> tuple[Call, CompiledEntity]:
        """Authenticate, then find ``entity`` (401, then 404/403, as every route needs)."""
        call = self.call(tenant, authorization)
        return call, readable_entity(call, entity)

    #: The entity ``name``: 404 when unknown, 403 when the caller may not read it.
    entity = staticmethod(readable_entity)
    #: 404 unless live record ``record_id`` is inside the caller's scope.
    reachable = staticmethod(require_reachable)

    # operations ---------------------------------------------------------------------
    def openapi(self, call: Call, locale: str = DEFAULT_LOCALE) -> ApiResult:
        """The tenant's OpenAPI document (restricted to what a non-admin may use).

        Field titles and descriptions declared per locale are given in ``locale``.
        """
        config = self.runtime.config
        limits = {"default_limit": config.default_page_size, "max_limit": config.max_page_size}
        if call.access.admin:
            key = _OPENAPI if locale == DEFAULT_LOCALE else PartKey(f"api.openapi.{locale}")
            body = call.rt.part(
                key,
                lambda rt: encode(localized(build_openapi(rt.app, rt.tenant, **limits), locale)),
            )
        else:
            doc = build_openapi(call.app, call.tenant, **limits)
            doc = localized(restrict_openapi(call.access, doc, f"/t/{call.tenant}/api"), locale)
            body = encode(doc)
        return ApiResult(200, body, {})

    def read(
        self, call: Call, entity: CompiledEntity, record_id: int, expand: str | None = None
    ) -> ApiResult:
        """Read one live record (``expand`` names reference and user columns to embed)."""
        return _record(200, self.services.records.read(call, entity, record_id, expand))

    def read_as_of(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        as_of: str,
        expand: str | None = None,
    ) -> ApiResult:
        """The record as it was at ``as_of`` (RFC 3339), rebuilt from its history;
        ``expand`` embeds the references' current titles."""
        at = parse_as_of(as_of)
        body = self.services.history.as_of(call, entity, record_id, at)
        self.services.records.expand_record(call, entity, body.record, expand)
        return _record(200, body)

    def list_records(
        self, call: Call, entity: CompiledEntity, params: Mapping[str, str], *, count: bool = True
    ) -> ApiResult:
        """List records with filter, sort, keyset cursor and fields (``as_of``: as they
        were at that moment, rebuilt from their history)."""
        as_of = params.get("as_of")
        if as_of is not None:
            at = parse_as_of(as_of)
            page = page_as_of(self.services.records, call, entity, ListArgs.of(params), at)
            return ApiResult(200, encode(page.as_json()), {})
        page = self.services.records.page(call, entity, ListArgs.of(params), count=count)
        return ApiResult(200, encode(page.as_json()), {})

    def create(
        self,
        call: Call,
        entity: CompiledEntity,
        data: dict[str, Any],
        idempotency_key: str | None,
        raw: bytes,
        *,
        allow_duplicate: bool = False,
    ) -> ApiResult:
        """Create a record; a replayed ``Idempotency-Key`` returns the first answer."""
        key = IdempotencyKey(idempotency_key, raw) if idempotency_key else None
        records = self.services.records
        return _record(
            201, records.create(call, entity, data, key, allow_duplicate=allow_duplicate)
        )

    def check(self, call: Call, body: dict[str, Any]) -> ApiResult:
        """Rule-editor support: errors of an expression or rule file, and what fits the cursor.

        Checked against the model as the caller sees it: a hidden or restricted field
        (also through a reference) is unknown and never suggested.
        """
        model = call.app.model if call.access.admin else call.access.roles.visible_model
        answer = run_check(
            model, body, lambda name: model.entities[readable_entity(call, name).name]
        )
        return ApiResult(200, encode(answer), {})

    def form(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int | None,
        data: dict[str, Any],
        locale: str = DEFAULT_LOCALE,
    ) -> ApiResult:
        """Which fields are visible, required and read-only for a record (or draft) now.

        Each field also carries its ``label`` and, for enum, stage and state fields, its
        ``options`` as ``{"value", "label"}`` in ``locale`` (values stay raw).
        """
        state = self.services.records.form(call, entity, record_id, data)
        labels = form_labels(call.app.model, entity.entity, Translator(locale))
        fields = {name: {**flags, **labels.get(name, {})} for name, flags in state.items()}
        return ApiResult(200, encode({"fields": fields}), {})

    def dry_run(
        self,
        call: Call,
        entity: CompiledEntity,
        data: dict[str, Any],
        record_id: int | None,
        expected_version: int | None,
    ) -> ApiResult:
        """Run a create (``record_id`` None) or update, explain each step, write nothing."""
        body = self.services.records.dry_run(call, entity, data, record_id, expected_version)
        return ApiResult(200, encode(body), {})

    def update(
        self,
        call: Call,
        entity: CompiledEntity,
        record_id: int,
        data: dict[str, Any],
        expected_version: int | None,
        *,
        allow_duplicate: bool = False,
    ) -> ApiResult:
        """Partially update a record with optimistic locking."""
        saved = self.services.records.update(
            call, entity, record_id, data, expected_version, allow_duplicate=allow_duplicate
        )
        return _record(200, saved)

    def delete(
        self, call: Call, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record."""
        self.services.records.delete(call, entity, record_id, expected_version)

    def bulk(self, call: Call, entity: CompiledEntity, payload: Any) -> ApiResult:
        """Create or upsert many records; each item is applied whole or not at all."""
        return ApiResult(200, encode(self.services.records.bulk(call, entity, payload)), {})

    def search(self, call: Call, q: str | None, limit: str | None = None) -> ApiResult:
        """``{"items": [{entity, id, title, rank, snippet, field}]}``: readable, in-scope
        records holding every word of ``q``, best first."""
        hits = self.services.reads.search(call, q, limit)
        return ApiResult(200, encode({"items": [h.as_json() for h in hits]}), {})

    def autocomplete(
        self, call: Call, entity: CompiledEntity, q: str | None, limit: str | None = None
    ) -> ApiResult:
        """``[{id, title}]`` of in-scope records of ``entity`` matching ``q`` (may be empty)."""
        hits = self.services.reads.autocomplete(call, entity, q, limit)
        return ApiResult(200, encode([h.as_json(with_entity=False) for h in hits]), {})

    def export(
        self,
        call: Call,
        entity: CompiledEntity,
        fmt: str | None,
        filter_text: str | None = None,
        fields: str | None = None,
        *,
        ids: bool = False,
    ) -> ApiResult:
        """The in-scope records of ``entity`` as a file, audited (references by title)."""
        file = self.services.reads.export(call, entity, fmt, filter_text, fields, ids=ids)
        headers = {
            "Content-Type": file.media_type,
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "X-Trellis-Rows": str(file.rows),
        }
        return ApiResult(200, file.content, headers)


__all__ = ["ApiResult", "TenantApi"]
