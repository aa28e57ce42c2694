"""The ``_rates`` operations of the OpenAPI document (tenant admins only)."""

from __future__ import annotations

from typing import Any

from trellis.platform.money.rates import RATE_TEXT
from trellis.platform.money.units import known_currencies
from trellis.platform.records.views import JSON

_CODE = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."}


def _known_code() -> dict[str, Any]:
    return {"enum": sorted(known_currencies()), "description": "ISO 4217 code."}


def rate_schemas() -> dict[str, Any]:
    """``Trellis_Rate``, ``Trellis_RateInput``, ``Trellis_Rates`` and ``Trellis_RatesPut``."""
    rate: dict[str, Any] = {
        "type": "object",
        "description": "On `date` (and after, until a newer rate) one `from` is worth `rate` `to`.",
        "required": ["from", "to", "date", "rate"],
        "additionalProperties": False,
        "properties": {
            "from": _CODE,
            "to": _CODE,
            "date": {"type": "string", "format": "date"},
            "rate": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
        },
    }
    rate_input = {
        **rate,
        "description": "One rate; `from` and `to` differ (the same code twice is 422).",
        "properties": {
            "from": _known_code(),
            "to": _known_code(),
            "date": rate["properties"]["date"],
            "rate": {
                "anyOf": [
                    {"type": "string", "pattern": RATE_TEXT},
                    {"type": "number", "minimum": 1e-10, "exclusiveMaximum": 1e14},
                ]
            },
        },
    }
    items = {"type": "array", "items": {"$ref": "#/components/schemas/Trellis_Rate"}}
    return {
        "Trellis_Rate": rate,
        "Trellis_RateInput": rate_input,
        "Trellis_Rates": {
            "type": "object",
            "required": ["base", "items"],
            "properties": {"base": {"anyOf": [_CODE, {"type": "null"}]}, "items": items},
        },
        "Trellis_RatesStored": {
            "type": "object",
            "required": ["stored", "items"],
            "properties": {"stored": {"type": "integer", "minimum": 1}, "items": items},
        },
    }


def rates_paths(
    base: str, read_errors: dict[str, Any], write_errors: dict[str, Any]
) -> dict[str, Any]:
    """``GET`` and ``PUT {base}/_rates``."""
    one = {"$ref": "#/components/schemas/Trellis_RateInput"}
    body = {
        "anyOf": [
            one,
            {
                "type": "object",
                "required": ["items"],
                "additionalProperties": False,
                "properties": {
                    "items": {"type": "array", "items": one, "minItems": 1, "maxItems": 10000}
                },
            },
        ]
    }
    tags = ["Exchange rates"]
    return {
        f"{base}/_rates": {
            "get": {
                "tags": tags,
                "summary": "List exchange rates (tenant admins)",
                "operationId": "listRates",
                "parameters": [
                    {
                        "name": "currency",
                        "in": "query",
                        "description": "Only rates from or to this currency.",
                        "schema": _known_code(),
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The base currency and the rates, by pair and date.",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_Rates"}}
                        },
                    },
                    **read_errors,
                },
            },
            "put": {
                "tags": tags,
                "summary": "Set exchange rates (tenant admins); same pair and date: replaced",
                "operationId": "setRates",
                "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
                "responses": {
                    "200": {
                        "description": "Every rate stored (or none: 422 naming each bad part).",
                        "content": {
                            JSON: {"schema": {"$ref": "#/components/schemas/Trellis_RatesStored"}}
                        },
                    },
                    **write_errors,
                },
            },
        }
    }


__all__ = ["rate_schemas", "rates_paths"]
