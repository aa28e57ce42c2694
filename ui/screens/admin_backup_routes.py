"""The admin backups page: ``/t/{t}/admin/backups`` (tenant admins only, 403 otherwise).

Lists the tenant's backups (platform/backup/scheduled.py), newest first, and starts one
on demand ("Back up now": platform/backup/on_demand.py, one at a time); each is
downloadable from ``/t/{t}/admin/backups/{name}``; a name is looked up in the tenant's own
folder only, so another tenant's backups are never reachable (404). Downloads are audited
(``tenant.backup.download``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import File

from trellis.platform.backup.on_demand import running_job, start_backup
from trellis.platform.backup.scheduled import backup_path, list_backups
from trellis.platform.records.errors import ConflictError, ForbiddenError, NotFoundError
from trellis.ui.screens.web import UiCall, UiServices, page, redirect, signed_in

DOWNLOAD_ACTION = "tenant.backup.download"


def _admin(services: UiServices, request: Request[Any, Any, Any], tenant: str) -> UiCall:
    ui = signed_in(services, request, tenant)
    if not ui.call.access.admin:
        raise ForbiddenError(
            ui.translator.gettext("Only tenant admins may see and download backups.")
        )
    return ui


def _asked_at(job: dict[str, Any] | None) -> datetime | None:
    return None if job is None else datetime.fromisoformat(str(job["created_at"]))


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
            "running_at": _asked_at(running_job(runtime, tenant)),
        }
        return page(request, ui, "admin_backups.html", ctx)

    @post("/t/{tenant:str}/admin/backups", status_code=200, sync_to_thread=True)
    def back_up_now(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = _admin(services, request, tenant)
        back = f"/t/{tenant}/admin/backups"
        identity = ui.call.identity
        try:
            start_backup(services.runtime, tenant, identity.user_id, identity.email)
        except ConflictError as exc:
            return redirect(request, back, flash=ui.translator.message(exc.message))
        done = ui.translator.gettext(
            "Backup started: it appears in the list once the job worker has written it."
        )
        return redirect(request, back, flash=done)

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

    return [backups_page, back_up_now, download]


__all__ = ["admin_backup_routes"]
