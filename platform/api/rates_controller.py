"""``GET``/``PUT /t/{t}/api/_rates``: the tenant's exchange rates (platform/money/service.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.params import RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, Api, Caller, admin_only
from trellis.platform.api.requests import check_query_params, parse_json
from trellis.platform.money.service import rates_from_body, show_rates, store_rates
from trellis.platform.money.units import is_currency
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.views import JSON, encode


class RatesController(Controller):
    """``_rates``: tenant admins only."""

    path = "/_rates"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "see and set exchange rates"}

    @get("/", sync_to_thread=True)
    def list_rates(
        self, request: Request[Any, Any, Any], api: Api, call: Caller
    ) -> Response[bytes]:
        check_query_params(request.query_params, ("currency",))
        currency = request.query_params.get("currency") or None
        if currency is not None and not is_currency(currency):
            message = f"'{currency}' is not an ISO 4217 currency code such as EUR or USD."
            raise BadRequestError(message, {"currency": [message]})
        body = show_rates(api.runtime, call.tenant, currency)
        return Response(content=encode(body), status_code=200, media_type=JSON)

    @put("/", sync_to_thread=True)
    def set_rates(
        self, request: Request[Any, Any, Any], api: Api, call: Caller, body: RawBody
    ) -> Response[bytes]:
        check_query_params(request.query_params, ())
        if not body.strip():
            raise BadRequestError(
                'Send {"from": "EUR", "to": "USD", "date": "2026-01-31", "rate": "1.08"} '
                'or {"items": [...]}.'
            )
        rates = rates_from_body(parse_json(body))
        stored = store_rates(api.runtime, call.tenant, rates, call.identity.user_id)
        answer = {"stored": len(stored), "items": [r.as_json() for r in stored]}
        return Response(content=encode(answer), status_code=200, media_type=JSON)


__all__ = ["RatesController"]
