"""Recycle bin and history routes of an entity (DESIGN.md §14).

``GET …/{entity}/_deleted`` (deleted records in the caller's scope, ``delete`` action),
``POST …/{entity}/{id}/_restore`` (undelete with its cascade → 200 with the record),
``DELETE …/{entity}/_deleted/{id}`` (hard delete, ``purge`` action, audited → 204) and
``GET …/{entity}/{id}/_history`` (the record's writes, newest first).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.records_controller import record_response
from trellis.platform.api.requests import check_query_params
from trellis.platform.records.ids import parse_id

Req = Request[Any, Any, Any]
PAGE_PARAMS = frozenset({"limit", "cursor"})
NO_PARAMS: frozenset[str] = frozenset()


class RecycleBinController(Controller):
    """``_deleted``, ``_restore`` and ``_history`` of one entity's records."""

    path = "/{entity:str}"

    @get("/_deleted", sync_to_thread=True)
    def deleted(
        self, request: Req, services: AppServices, call: Caller, target: Target
    ) -> dict[str, Any]:
        params = request.query_params
        check_query_params(params, PAGE_PARAMS)
        page = services.recycle_bin.deleted(call, target, params.get("limit"), params.get("cursor"))
        return page.as_json()

    @post("/{record_id:str}/_restore", status_code=200, sync_to_thread=True)
    def restore(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> Response[dict[str, Any]]:
        check_query_params(request.query_params, NO_PARAMS)
        body = services.recycle_bin.restore(call, target, parse_id(target.name, record_id))
        return record_response(200, body)

    @delete("/_deleted/{record_id:str}", status_code=204, sync_to_thread=True)
    def purge(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> None:
        check_query_params(request.query_params, NO_PARAMS)
        services.recycle_bin.purge(call, target, parse_id(target.name, record_id))

    @get("/{record_id:str}/_history", sync_to_thread=True)
    def history(
        self,
        request: Req,
        services: AppServices,
        call: Caller,
        target: Target,
        record_id: FromPath[str],
    ) -> dict[str, Any]:
        params = request.query_params
        check_query_params(params, PAGE_PARAMS)
        ident = parse_id(target.name, record_id)
        page = services.history.history(
            call, target, ident, params.get("limit"), params.get("cursor")
        )
        return page.as_json()


__all__ = ["RecycleBinController"]
