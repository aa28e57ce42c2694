"""Search, reference autocomplete and export routes.

``GET /t/{t}/api/_search?q=&limit=`` -> ``{"items": [{"entity", "id", "title", "rank",
"snippet", "field"}]}`` (docs/search.md);
``GET /t/{t}/api/{entity}/_autocomplete?q=&limit=`` -> ``[{"id", "title"}]``;
``GET /t/{t}/api/{entity}/_export?format=csv|xlsx|json|jsonl&filter=&fields=&ids=`` -> the file,
streamed (references and users by their titles; ``ids=true`` for the raw ids).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Stream

from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.openapi_search import SEARCH_PARAMS
from trellis.platform.api.requests import check_query_params
from trellis.platform.exports.http import streamed_export
from trellis.platform.services.record_export import export_ids_flag

Req = Request[Any, Any, Any]


class SearchController(Controller):
    """``_search`` across the entities the caller may read."""

    path = "/_search"

    @get("/", sync_to_thread=True)
    def search(self, request: Req, services: AppServices, call: Caller) -> dict[str, Any]:
        params = request.query_params
        check_query_params(params, SEARCH_PARAMS)
        hits = services.reads.search(call, params.get("q"), params.get("limit"))
        return {"items": [h.as_json() for h in hits]}


class EntityReadsController(Controller):
    """``_autocomplete`` and ``_export`` of one entity."""

    path = "/{entity:str}"

    @get("/_autocomplete", sync_to_thread=True)
    def autocomplete(
        self, request: Req, services: AppServices, call: Caller, target: Target
    ) -> list[dict[str, Any]]:
        params = request.query_params
        hits = services.reads.autocomplete(call, target, params.get("q"), params.get("limit"))
        return [h.as_json(with_entity=False) for h in hits]

    @get("/_export", sync_to_thread=True)
    def export(self, request: Req, services: AppServices, call: Caller, target: Target) -> Stream:
        params = request.query_params
        ids = export_ids_flag(params.get("ids"))
        return streamed_export(
            services.runtime, call, target, params.get("format"), params.get("filter"),
            params.get("fields"), ids=ids,
        )  # fmt: skip


__all__ = ["EntityReadsController", "SearchController"]
