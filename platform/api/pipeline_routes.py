"""Pipeline routes: a record's stage history, stage statistics and the weighted forecast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.authz.call import Call
from trellis.platform.pipelines import forecast, record_stages, stage_stats
from trellis.platform.pipelines.forecast import Authorize
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON, encode
from trellis.rules.expr import EvalContext


def _json(body: Any) -> Response[bytes]:
    return Response(content=encode(body), status_code=200, media_type=JSON)


def authorize(call: Call, now: datetime) -> Authorize:
    """The caller's read check and record scope for pipeline aggregates.

    403 when the caller may not read the entity; a hidden field is refused as unknown
    (400), so sums never reveal it. ``now`` is the runtime clock's time.
    """
    ectx = EvalContext(now=now, user_id=call.identity.user_id)

    def check(entity: str, fields: tuple[str, ...]) -> sa.ColumnElement[Any] | None:
        call.access.require(entity, "read")
        hidden = call.access.entity(entity).hidden
        for name in fields:
            if name in hidden:
                raise BadRequestError(
                    f"Unknown field '{name}' of {entity}.", {"field": [f"Unknown field '{name}'."]}
                )
        return call.access.scope(call.app.entities[entity], ectx)

    return check


def pipeline_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The pipeline route handlers over ``api`` (authentication, tenants, entities)."""

    @get("/t/{tenant:str}/api/{entity:str}/{record_id:str}/_stages", sync_to_thread=True)
    def stages_of_record(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[bytes]:
        call, found = api.target(tenant, request.headers.get("authorization"), entity)
        ident = parse_id(entity, record_id)
        t = found.table
        with api.runtime.engines.tenant_connection(call.tenant) as conn:
            live = conn.execute(
                sa.select(t.c.id).where(t.c.id == ident, t.c.deleted_at.is_(None))
            ).first()
            if live is None:
                raise NotFoundError(f"No {entity} with id {ident}.")
            api.reachable(call, conn, found, ident)
            body = record_stages(conn, call.app, found, ident, api.runtime.clock.now())
        return _json(body)

    @get("/t/{tenant:str}/api/_stages", sync_to_thread=True)
    def pipeline_stages(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        with api.runtime.engines.tenant_connection(call.tenant) as conn:
            body = stage_stats(
                conn, call.app, request.query_params, authorize(call, api.runtime.clock.now())
            )
        return _json(body)

    @get("/t/{tenant:str}/api/_forecast", sync_to_thread=True)
    def weighted_forecast(
        request: Request[Any, Any, Any], tenant: FromPath[str]
    ) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        with api.runtime.engines.tenant_connection(call.tenant) as conn:
            body = forecast(
                conn, call.app, request.query_params, authorize(call, api.runtime.clock.now())
            )
        return _json(body)

    return [stages_of_record, pipeline_stages, weighted_forecast]


__all__ = ["pipeline_routes"]
