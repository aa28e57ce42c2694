"""The retention report: ``/t/{t}/admin/retention`` (tenant admins only, 403 otherwise).

Per retention rule of app.yaml: its entity, action and condition, how many live records
it would handle now, and what its runs have handled (the last run and in all), from
platform/privacy/retention_overview.py.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.privacy.retention_overview import retention_overview
from trellis.platform.records.errors import ForbiddenError
from trellis.ui.screens.web import UiServices, page, signed_in


def admin_retention_routes(services: UiServices) -> list[Any]:
    """Route handler of the retention report."""

    @get("/t/{tenant:str}/admin/retention", sync_to_thread=True)
    def retention_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        if not ui.call.access.admin:
            raise ForbiddenError(
                ui.translator.gettext("Only tenant admins may see the retention report.")
            )
        runtime = services.runtime
        with runtime.engines.tenant_connection(tenant) as conn:
            rules = retention_overview(ui.call.app, conn, runtime.clock.now())
        return page(request, ui, "admin_retention.html", {"rules": rules})

    return [retention_page]


__all__ = ["admin_retention_routes"]
