"""The admin backups page: ``/t/{t}/admin/backups`` (tenant admins only, 403 otherwise).

Lists the tenant's scheduled backups (platform/backup/scheduled.py), newest first, each
downloadable from ``/t/{t}/admin/backups/{name}``; a name is looked up in the tenant's own
folder only, so another tenant's backups are never reachable (404). Downloads are audited
(``tenant.backup.download``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import File

from trellis.platform.backup.scheduled import backup_path, list_backups
from trellis.platform.records.errors import ForbiddenError, NotFoundError
from trellis.ui.screens.web import UiCall, UiServices, page, signed_in

DOWNLOAD_ACTION = "tenant.backup.download"


def _admin(services: UiServices, request: Request[Any, Any, Any], tenant: str) -> UiCall:
    ui = signed_in(services, request, tenant)
    if not ui.call.access.admin:
        raise ForbiddenError(
            ui.translator.gettext("Only tenant admins may see and download backups.")
        )
    return ui


def admin_backup_routes(services: UiServices) -> list[Any]:
    """Route handlers of the admin backups page and downloads."""

    @get("/t/{tenant:str}/admin/backups", sync_to_thread=True)
    def backups_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = _admin(services, request, tenant)
        runtime = services.runtime
        ctx = {
            "backups": list_backups(runtime, tenant),
            "keep": runtime.config.backup_keep,
            "every": runtime.config.backup_every_hours,
        }
        return page(request, ui, "admin_backups.html", ctx)

    @get("/t/{tenant:str}/admin/backups/{name:str}", sync_to_thread=True)
    def download(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> File:
        ui = _admin(services, request, tenant)
        path = backup_path(services.runtime, tenant, name)
        if path is None:
            raise NotFoundError(ui.translator.gettext("No such backup."))
        identity = ui.call.identity
        services.runtime.registry.audit.record(
            services.runtime.tenant(tenant).id,
            DOWNLOAD_ACTION,
            actor=identity.email,
            actor_user_id=identity.user_id,
            target=f"backup:{name}",
            detail={},
        )
        return File(path=path, filename=name, media_type="application/zip")

    return [backups_page, download]


__all__ = ["admin_backup_routes"]
