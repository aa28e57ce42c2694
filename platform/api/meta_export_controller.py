"""``GET /t/{t}/api/_meta/export``: the tenant's metadata as an app package zip (admins)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.openapi_meta_export import ZIP
from trellis.platform.api.requests import check_query_params
from trellis.platform.app_packages.export import ExportError, export_files, zip_bytes
from trellis.platform.records.errors import ConflictError


class MetaExportController(Controller):
    """``_meta/export``: tenant admins only (403 for everyone else)."""

    path = "/_meta/export"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "export the application's metadata"}

    @get("/", sync_to_thread=True)
    def export(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> Response[bytes]:
        check_query_params(request.query_params, ())
        try:
            files = export_files(services.runtime, call.tenant)
        except ExportError as exc:
            raise ConflictError(str(exc)) from None
        name = f"{call.tenant}-metadata.zip"
        return Response(
            content=zip_bytes(files),
            status_code=200,
            media_type=ZIP,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


__all__ = ["MetaExportController"]
