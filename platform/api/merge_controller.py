"""Merge routes of an entity (docs/duplicates.md).

``POST …/{entity}/_merge`` (fold losers into a survivor → 200 with the merge),
``GET …/{entity}/_merge/{merge_id}`` (what a merge did) and
``POST …/{entity}/_merge/{merge_id}/_undo`` (while the losers are in the recycle bin).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import Api, Caller, Target
from trellis.platform.api.records_controller import respond
from trellis.platform.api.requests import check_query_params, parse_json
from trellis.platform.api.tenant_api import ApiResult
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import encode

Req = Request[Any, Any, Any]
NO_PARAMS: frozenset[str] = frozenset()


class MergeController(Controller):
    """``_merge`` of one entity's records."""

    path = "/{entity:str}/_merge"

    @post("/", status_code=200, sync_to_thread=True)
    def merge(
        self, request: Req, api: Api, call: Caller, target: Target, body: RawBody
    ) -> Response[bytes]:
        check_query_params(request.query_params, NO_PARAMS)
        answer = api.services.merges.merge(call, target, parse_json(body))
        return respond(ApiResult(200, encode(answer), {}))

    @get("/{merge_id:str}", sync_to_thread=True)
    def read(
        self, request: Req, api: Api, call: Caller, target: Target, merge_id: FromPath[str]
    ) -> Response[bytes]:
        check_query_params(request.query_params, NO_PARAMS)
        answer = api.services.merges.read(call, target, parse_id("merge", merge_id))
        return respond(ApiResult(200, encode(answer), {}))

    @post("/{merge_id:str}/_undo", status_code=200, sync_to_thread=True)
    def undo(
        self, request: Req, api: Api, call: Caller, target: Target, merge_id: FromPath[str]
    ) -> Response[bytes]:
        check_query_params(request.query_params, NO_PARAMS)
        answer = api.services.merges.undo(call, target, parse_id("merge", merge_id))
        return respond(ApiResult(200, encode(answer), {}))


__all__ = ["MergeController"]
