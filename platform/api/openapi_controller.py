"""``GET /t/{t}/api/openapi.json``: the tenant's own OpenAPI document (platform/api/openapi.py).

Litestar's generated document stays disabled: entities are metadata, not handlers.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from trellis.platform.api.deps import Api, Caller
from trellis.platform.api.records_controller import respond
from trellis.platform.api.requests import request_locale


class OpenApiController(Controller):
    """The per-tenant OpenAPI document, restricted to what the caller may see."""

    path = "/openapi.json"

    @get("/", sync_to_thread=True)
    def openapi(self, request: Request[Any, Any, Any], api: Api, call: Caller) -> Response[bytes]:
        return respond(api.openapi(call, request_locale(request)))


__all__ = ["OpenApiController"]
