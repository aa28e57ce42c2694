"""``GET``/``PUT /t/{t}/api/_rates``: the tenant's exchange rates (platform/money/service.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.params import RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import check_query_params, parse_json
from trellis.platform.money.service import rates_from_body, show_rates, store_rates
from trellis.platform.money.units import is_currency
from trellis.platform.records.errors import BadRequestError


class RatesController(Controller):
    """``_rates``: tenant admins only."""

    path = "/_rates"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "see and set exchange rates"}

    @get("/", sync_to_thread=True)
    def list_rates(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ("currency",))
        currency = request.query_params.get("currency") or None
        if currency is not None and not is_currency(currency):
            message = f"'{currency}' is not an ISO 4217 currency code such as EUR or USD."
            raise BadRequestError(message, {"currency": [message]})
        return show_rates(services.runtime, call.tenant, currency)

    @put("/", sync_to_thread=True)
    def set_rates(
        self,
        request: Request[Any, Any, Any],
        services: AppServices,
        call: Caller,
        body: RawBody,
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        if not body.strip():
            raise BadRequestError(
                'Send {"from": "EUR", "to": "USD", "date": "2026-01-31", "rate": "1.08"} '
                'or {"items": [...]}.'
            )
        rates = rates_from_body(parse_json(body))
        stored = store_rates(services.runtime, call.tenant, rates, call.identity.user_id)
        return {"stored": len(stored), "items": [r.as_json() for r in stored]}


__all__ = ["RatesController"]
