"""``GET /t/{t}/api/openapi.json``: the tenant's own OpenAPI document (platform/api/openapi.py).

Litestar's generated document stays disabled: entities are metadata, not handlers.
"""

from __future__ import annotations

from litestar import Controller, Response, get

from trellis.platform.api.deps import Api, Caller
from trellis.platform.api.records_controller import respond


class OpenApiController(Controller):
    """The per-tenant OpenAPI document, restricted to what the caller may see."""

    path = "/openapi.json"

    @get("/", sync_to_thread=True)
    def openapi(self, api: Api, call: Caller) -> Response[bytes]:
        return respond(api.openapi(call))


__all__ = ["OpenApiController"]
