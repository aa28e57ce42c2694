"""``GET /t/{t}/api/openapi.json``: the tenant's own OpenAPI document (platform/api/openapi.py).

Litestar's generated document stays disabled: entities are metadata, not handlers. An
admin's document (the whole one) is encoded once per app version and locale and kept on
the app's runtime; a non-admin's is restricted to what the caller may use.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from trellis.platform.api.deps import AppServices, Caller
from trellis.platform.api.openapi import build_openapi
from trellis.platform.api.openapi_restrict import restrict_openapi
from trellis.platform.api.requests import request_locale
from trellis.platform.authz.call import Call
from trellis.platform.i18n import DEFAULT_LOCALE, localized
from trellis.platform.records.views import JSON, encode
from trellis.platform.runtime import PartKey
from trellis.platform.services import Services

_OPENAPI: PartKey[bytes] = PartKey("api.openapi")


def openapi_document(services: Services, call: Call, locale: str = DEFAULT_LOCALE) -> bytes:
    """The tenant's OpenAPI document as JSON (restricted to what a non-admin may use).

    Field titles and descriptions declared per locale are given in ``locale``.
    """
    config = services.runtime.config
    limits = {"default_limit": config.default_page_size, "max_limit": config.max_page_size}
    if call.access.admin:
        key = _OPENAPI if locale == DEFAULT_LOCALE else PartKey(f"api.openapi.{locale}")
        return call.rt.part(
            key,
            lambda rt: encode(localized(build_openapi(rt.app, rt.tenant, **limits), locale)),
        )
    doc = build_openapi(call.app, call.tenant, **limits)
    return encode(localized(restrict_openapi(call.access, doc, f"/t/{call.tenant}/api"), locale))


class OpenApiController(Controller):
    """The per-tenant OpenAPI document, restricted to what the caller may see."""

    path = "/openapi.json"

    @get("/", sync_to_thread=True)
    def openapi(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> Response[bytes]:
        document = openapi_document(services, call, request_locale(request))
        return Response(document, media_type=JSON)


__all__ = ["OpenApiController", "openapi_document"]
