"""``/t/{t}/api/_backups``: a tenant admin lists, starts and downloads the tenant's backups.

``GET _backups`` lists the archives of the tenant's backup folder (scheduled and asked
for), newest first; ``POST _backups`` queues a backup (202; 409 while another asked-for
one is queued or running); ``GET _backups/jobs/{id}`` gives its state; ``GET
_backups/{name}`` streams an archive as an attachment after checking it whole (a
damaged, truncated or foreign archive is 409, never served). Other members get 403; a
name or job of another tenant is 404. Downloads are audited (docs/backup.md).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]
from litestar.response import Stream

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import check_query_params, parse_object
from trellis.platform.backup.manifest import BackupError
from trellis.platform.backup.on_demand import load_job, running_job, start_backup
from trellis.platform.backup.scheduled import backup_path, list_backups
from trellis.platform.backup.verify import verify_archive
from trellis.platform.records.errors import ConflictError, NotFoundError, ValidationFailedError

Req = Request[Any, Any, Any]
DOWNLOAD_ACTION = "tenant.backup.download"


def _job_json(tenant: str, state: dict[str, Any]) -> dict[str, Any]:
    name = state.get("name")
    url = f"/t/{tenant}/api/_backups/{name}" if state.get("state") == "done" and name else None
    keys = ("id", "state", "name", "size", "user_id", "created_at", "finished_at", "message")
    return {**{k: state.get(k) for k in keys}, "download_url": url}


def _open_checked(path: Any, tenant: str, name: str) -> Any:
    """The archive opened for reading once it passed every check (409 otherwise)."""
    try:
        verified = verify_archive(path)
        if verified.manifest.tenant != tenant:
            raise BackupError(Translatable("It is a backup of another tenant."))
        return path.open("rb")
    except FileNotFoundError:
        raise NotFoundError(Translatable("No such backup.")) from None
    except BackupError as exc:
        raise ConflictError(
            Translatable(
                "The backup %(name)s is damaged and is not served: %(reason)s",
                name=name,
                reason=exc.args[0] if exc.args else str(exc),  # a Translatable stays one
            )
        ) from None


class BackupsController(Controller):
    """``_backups``: tenant admins only."""

    path = "/_backups"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "list, start and download the tenant's backups"}

    @get("/", sync_to_thread=True)
    def list_all(self, request: Req, services: AppServices, call: Caller) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        items = [
            {
                "name": b.name,
                "size": b.size,
                "created_at": b.created_at.isoformat(),
                "download_url": f"/t/{call.tenant}/api/_backups/{b.name}",
            }
            for b in list_backups(services.runtime, call.tenant)
        ]
        busy = running_job(services.runtime, call.tenant)
        body = {
            "items": items,
            "next_cursor": None,
            "count": len(items),
            "count_exact": True,
            "running": None if busy is None else _job_json(call.tenant, busy),
        }
        return body

    @post("/", status_code=202, sync_to_thread=True)
    def start(
        self, request: Req, services: AppServices, call: Caller, body: RawBody
    ) -> Response[dict[str, Any]]:
        check_query_params(request.query_params, ())
        data = parse_object(body) if body.strip() else {}
        if data:
            raise ValidationFailedError({name: ["Unknown field."] for name in sorted(data)})
        identity = call.identity
        state = start_backup(services.runtime, call.tenant, identity.user_id, identity.email)
        url = f"/t/{call.tenant}/api/_backups/jobs/{state['id']}"
        answer = {"id": state["id"], "state": "queued", "url": url}
        return Response(answer, status_code=202, headers={"Location": url})

    @get("/jobs/{job_id:str}", sync_to_thread=True)
    def show_job(
        self, request: Req, services: AppServices, call: Caller, job_id: FromPath[str]
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        state = load_job(services.runtime, call.tenant, job_id)
        if state is None:
            raise NotFoundError(Translatable("No such backup job."))
        return _job_json(call.tenant, state)

    @get("/{name:str}", sync_to_thread=True)
    def download(
        self, request: Req, services: AppServices, call: Caller, name: FromPath[str]
    ) -> Stream:
        check_query_params(request.query_params, ())
        path = backup_path(services.runtime, call.tenant, name)
        if path is None:
            raise NotFoundError(Translatable("No such backup."))
        source = _open_checked(path, call.tenant, name)
        identity = call.identity
        services.runtime.registry.audit.record(
            services.runtime.tenant(call.tenant).id,
            DOWNLOAD_ACTION,
            actor=identity.email,
            actor_user_id=identity.user_id,
            target=f"backup:{name}",
            detail={"via": "api"},
        )

        def chunks() -> Any:
            with source:
                yield from iter(lambda: source.read(1 << 16), b"")

        return Stream(
            chunks(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


__all__ = ["DOWNLOAD_ACTION", "BackupsController"]
