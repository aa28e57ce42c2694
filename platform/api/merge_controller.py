"""Merge routes of an entity (docs/duplicates.md).

``POST …/{entity}/_merge`` (fold losers into a survivor → 200 with the merge),
``GET …/{entity}/_merge/{merge_id}`` (what a merge did) and
``POST …/{entity}/_merge/{merge_id}/_undo`` (while the losers are in the recycle bin).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.requests import check_query_params, parse_json
from trellis.platform.records.ids import parse_id

Req = Request[Any, Any, Any]
Json = dict[str, Any]
NO_PARAMS: frozenset[str] = frozenset()


class MergeController(Controller):
    """``_merge`` of one entity's records."""

    path = "/{entity:str}/_merge"

    @post("/", status_code=200, sync_to_thread=True)
    def merge(
        self, request: Req, services: AppServices, call: Caller, target: Target, body: RawBody
    ) -> Json:
        check_query_params(request.query_params, NO_PARAMS)
        answer = services.merges.merge(call, target, parse_json(body))
        return answer

    @get("/{merge_id:str}", sync_to_thread=True)
    def read(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        merge_id: FromPath[str],
    ) -> Json:
        check_query_params(request.query_params, NO_PARAMS)
        answer = services.merges.read(call, target, parse_id("merge", merge_id))
        return answer

    @post("/{merge_id:str}/_undo", status_code=200, sync_to_thread=True)
    def undo(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        merge_id: FromPath[str],
    ) -> Json:
        check_query_params(request.query_params, NO_PARAMS)
        answer = services.merges.undo(call, target, parse_id("merge", merge_id))
        return answer


__all__ = ["MergeController"]
