"""Search, reference autocomplete and export routes.

``GET /t/{t}/api/_search?q=&limit=`` -> ``{"items": [{"entity", "id", "title"}]}``;
``GET /t/{t}/api/{entity}/_autocomplete?q=&limit=`` -> ``[{"id", "title"}]``;
``GET /t/{t}/api/{entity}/_export?format=csv|xlsx|json&filter=&fields=`` -> the file.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.tenant_api import ApiResult, TenantApi
from trellis.platform.records.views import JSON


def _respond(result: ApiResult) -> Response[bytes]:
    headers = dict(result.headers)
    media_type = headers.pop("Content-Type", JSON)
    return Response(
        content=result.body or b"",
        status_code=result.status,
        media_type=media_type,
        headers=headers,
    )


def read_routes(api: TenantApi) -> list[HTTPRouteHandler]:
    """The ``_search``, ``_autocomplete`` and ``_export`` route handlers over ``api``."""

    @get("/t/{tenant:str}/api/_search", sync_to_thread=True)
    def search(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[bytes]:
        call = api.call(tenant, request.headers.get("authorization"))
        params = request.query_params
        return _respond(api.search(call, params.get("q"), params.get("limit")))

    @get("/t/{tenant:str}/api/{entity:str}/_autocomplete", sync_to_thread=True)
    def autocomplete(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[bytes]:
        call, target = api.target(tenant, request.headers.get("authorization"), entity)
        params = request.query_params
        return _respond(api.autocomplete(call, target, params.get("q"), params.get("limit")))

    @get("/t/{tenant:str}/api/{entity:str}/_export", sync_to_thread=True)
    def export(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[bytes]:
        call, target = api.target(tenant, request.headers.get("authorization"), entity)
        params = request.query_params
        result = api.export(
            call, target, params.get("format"), params.get("filter"), params.get("fields")
        )
        return _respond(result)

    return [search, autocomplete, export]


__all__ = ["read_routes"]
