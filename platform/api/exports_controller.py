"""Export jobs over HTTP (docs/export.md).

``POST /t/{t}/api/{entity}/_export_jobs`` with ``{"format", "filter", "fields", "ids"}``
checks the export like ``GET …/_export`` and answers 202 with the queued job's id;
``GET /t/{t}/api/_exports/{id}`` gives its state and, once done, a signed download link
that expires after 24 hours; ``GET …/_exports/{id}/download?expires=&signature=``
streams the file. Only the member who asked, or a tenant admin, sees a job (else 404);
a tampered link is 403, an expired one 410.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]
from litestar.response import Stream

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.requests import check_query_params, parse_json
from trellis.platform.authz.call import Call
from trellis.platform.exports.jobs import export_file, start_export
from trellis.platform.exports.links import ExportGoneError, check_link
from trellis.platform.exports.requests import job_json, parse_job_body
from trellis.platform.exports.store import job_folder, load_state
from trellis.platform.records.errors import NotFoundError
from trellis.platform.runtime import Runtime
from trellis.platform.services.export_formats import FORMATS

Req = Request[Any, Any, Any]
#: Query parameters of the download link.
LINK_PARAMS = ("expires", "signature")


def _visible(runtime: Runtime, call: Call, export_id: str) -> tuple[Any, dict[str, Any]]:
    """The job's folder and state if the caller asked for it or is an admin; else 404."""
    folder = job_folder(runtime.config, call.tenant, export_id)
    state = load_state(folder)
    if state is None or not (call.access.admin or state["user_id"] == call.identity.user_id):
        raise NotFoundError(Translatable("No export %(id)s.", id=export_id[:40]))
    return folder, state


def file_chunks(path: Any) -> Iterator[bytes]:
    """A file's bytes in 64 KiB chunks."""
    with open(path, "rb") as source:
        yield from iter(lambda: source.read(1 << 16), b"")


class ExportJobController(Controller):
    """``POST /t/{t}/api/{entity}/_export_jobs``."""

    path = "/{entity:str}/_export_jobs"

    @post("/", status_code=202, sync_to_thread=True)
    def start(
        self, request: Req, services: AppServices, call: Caller, target: Target, body: RawBody
    ) -> Response[dict[str, Any]]:
        check_query_params(request.query_params, ())
        fmt, filter_text, fields, ids = parse_job_body(parse_json(body) if body.strip() else {})
        state = start_export(services.runtime, call, target, fmt, filter_text, fields, ids=ids)
        url = f"/t/{call.tenant}/api/_exports/{state['id']}"
        answer = {"id": state["id"], "state": "queued", "url": url}
        return Response(answer, status_code=202, headers={"Location": url})


class ExportsController(Controller):
    """``GET /t/{t}/api/_exports/{id}`` and ``…/{id}/download``."""

    path = "/_exports"

    @get("/{export_id:str}", sync_to_thread=True)
    def show(
        self, request: Req, services: AppServices, call: Caller, export_id: FromPath[str]
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        _, state = _visible(services.runtime, call, export_id)
        return job_json(services.runtime.config, call.tenant, state, services.runtime.clock.now())

    @get("/{export_id:str}/download", sync_to_thread=True)
    def download(
        self, request: Req, services: AppServices, call: Caller, export_id: FromPath[str]
    ) -> Stream:
        params = request.query_params
        check_query_params(params, LINK_PARAMS)
        folder, state = _visible(services.runtime, call, export_id)
        now = services.runtime.clock.now()
        expires, signature = params.get("expires"), params.get("signature")
        check_link(services.runtime.config, call.tenant, export_id, expires, signature, now)
        path = export_file(folder, state)
        if state["state"] != "done" or not path.exists():
            raise ExportGoneError(
                Translatable("Export %(id)s has no file (yet, or any more).", id=export_id)
            )
        media_type = FORMATS[state["format"]][0]
        name = state["file_name"]
        return Stream(
            file_chunks(path),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


__all__ = ["ExportJobController", "ExportsController"]
