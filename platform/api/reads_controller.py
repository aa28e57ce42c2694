"""Search, reference autocomplete and export routes.

``GET /t/{t}/api/_search?q=&limit=`` -> ``{"items": [{"entity", "id", "title", "rank",
"snippet", "field"}]}`` (docs/search.md);
``GET /t/{t}/api/{entity}/_autocomplete?q=&limit=`` -> ``[{"id", "title"}]``;
``GET /t/{t}/api/{entity}/_export?format=csv|xlsx|json|jsonl&filter=&fields=&ids=`` -> the file,
streamed (references and users by their titles; ``ids=true`` for the raw ids).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Stream

from trellis.platform.api.deps import Api, Caller, Target
from trellis.platform.api.openapi_search import SEARCH_PARAMS
from trellis.platform.api.requests import check_query_params
from trellis.platform.api.tenant_api import ApiResult
from trellis.platform.exports.http import streamed_export
from trellis.platform.records.views import JSON
from trellis.platform.services.record_export import export_ids_flag

Req = Request[Any, Any, Any]


def _respond(result: ApiResult) -> Response[bytes]:
    """An ``ApiResult`` whose ``Content-Type`` header (an export's) wins over JSON."""
    headers = dict(result.headers)
    media_type = headers.pop("Content-Type", JSON)
    return Response(
        content=result.body or b"",
        status_code=result.status,
        media_type=media_type,
        headers=headers,
    )


class SearchController(Controller):
    """``_search`` across the entities the caller may read."""

    path = "/_search"

    @get("/", sync_to_thread=True)
    def search(self, request: Req, api: Api, call: Caller) -> Response[bytes]:
        params = request.query_params
        check_query_params(params, SEARCH_PARAMS)
        return _respond(api.search(call, params.get("q"), params.get("limit")))


class EntityReadsController(Controller):
    """``_autocomplete`` and ``_export`` of one entity."""

    path = "/{entity:str}"

    @get("/_autocomplete", sync_to_thread=True)
    def autocomplete(self, request: Req, api: Api, call: Caller, target: Target) -> Response[bytes]:
        params = request.query_params
        return _respond(api.autocomplete(call, target, params.get("q"), params.get("limit")))

    @get("/_export", sync_to_thread=True)
    def export(self, request: Req, api: Api, call: Caller, target: Target) -> Stream:
        params = request.query_params
        ids = export_ids_flag(params.get("ids"))
        return streamed_export(
            api.runtime, call, target, params.get("format"), params.get("filter"),
            params.get("fields"), ids=ids,
        )  # fmt: skip


__all__ = ["EntityReadsController", "SearchController"]
