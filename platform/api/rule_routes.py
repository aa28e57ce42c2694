"""Trigger rule routes: ``GET /t/{t}/api/_rule_runs?entity=&id=&limit=`` (newest first).

Only runs of records inside the caller's scope are listed, without hidden fields.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.api.tenant_api import TenantApi
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.views import JSON, encode
from trellis.platform.services.rule_runs_access import visible_changes, visible_runs
from trellis.platform.triggers import list_runs


def rule_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The trigger rule route handlers over ``api``."""

    @get("/t/{tenant:str}/api/_rule_runs", sync_to_thread=True)
    def rule_runs(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        params = request.query_params
        entity = params.get("entity") or None
        if entity is not None:
            api.entity(call, entity)
        raw_id = params.get("id")
        if raw_id and (not raw_id.isdigit() or len(raw_id) > 19):
            raise BadRequestError(f"Parameter 'id' has value '{raw_id}'. Not a record id.")
        record_id = int(raw_id) if raw_id else None
        limit = _limit(params.get("limit"))
        with api.runtime.engines.tenant_connection(call.tenant) as conn:
            items = list_runs(
                conn,
                call.app,
                entity=entity,
                record_id=record_id,
                limit=limit,
                visible=partial(visible_runs, call.access),
            )
        items = [visible_changes(call.access, item) for item in items]
        body = {"items": items, "count": len(items)}
        return Response(content=encode(body), status_code=200, media_type=JSON)

    return [rule_runs]


__all__ = ["rule_routes"]
