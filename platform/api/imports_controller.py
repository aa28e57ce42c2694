"""File imports over HTTP: ``POST /t/{t}/api/{entity}/_import`` and ``GET …/_imports/{id}``.

The upload is ``multipart/form-data`` with one part named ``file``, streamed to a
temporary file; options are query parameters. A file that cannot be imported is 422
with the reasons under ``file``; otherwise 202 with the queued import's id, run by the
job worker (docs/import.md). ``GET _imports/{id}`` gives state, counts and progress;
``GET _imports/{id}/errors`` the error report (CSV); ``POST _imports/{id}/cancel``
stops it after its current batch (409 once it has ended). Only the member who started
an import, or a tenant admin, sees it; others get 404.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import Stream

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.requests import check_query_params
from trellis.platform.authz.call import Call
from trellis.platform.files.receive import FRAMING_BYTES, receive_file, too_large
from trellis.platform.imports.background import MAX_IMPORT_BYTES, errors_file, start_upload
from trellis.platform.imports.cancel import cancel_import
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import ImportMap
from trellis.platform.imports.readers import ReadOptions
from trellis.platform.imports.runner import MODES, ImportOptions
from trellis.platform.imports.session import ImportPlan, import_row
from trellis.platform.imports.store import import_json
from trellis.platform.records.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)
from trellis.platform.runtime import Runtime

Req = Request[Any, Any, Any]
#: Query parameters of ``POST …/_import``.
IMPORT_PARAMS = ("mode", "key", "dry_run", "side_effects", "encoding", "sheet", "batch_size", "map")
_TRUE, _FALSE = ("true", "1"), ("false", "0")


def _flag(query: Any, name: str) -> bool:
    value = query.get(name)
    if value is None or value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise BadRequestError(
        Translatable("%(name)s must be true or false.", name=name),
        {name: [Translatable("Use true or false.")]},
    )


def plan_from_query(query: Any) -> ImportPlan:
    """The import plan the query parameters describe (400 naming a bad one)."""
    mode = query.get("mode") or "insert"
    if mode not in MODES:
        raise BadRequestError(
            Translatable("mode must be one of %(modes)s.", modes=", ".join(MODES)),
            {"mode": [Translatable("Unknown.")]},
        )
    size = query.get("batch_size") or "1000"
    if not size.isdigit() or not 1 <= int(size) <= 10_000:
        raise BadRequestError(
            Translatable("batch_size must be 1 to 10000."),
            {"batch_size": [Translatable("Out of range.")]},
        )
    keys = tuple(k.strip() for k in (query.get("key") or "").split(",") if k.strip())
    try:
        given = ImportMap.from_json(json.loads(query["map"])) if query.get("map") else ImportMap()
    except ImportRefusedError as exc:
        # A refusal's message stays translatable (the answer follows Accept-Language).
        raise BadRequestError(
            Translatable("map is not a valid import map: %(why)s", why=exc.problems[0]),
            {"map": [exc.problems[0]]},
        ) from None
    except ValueError as exc:
        why = Translatable("map is not valid JSON: %(reason)s", reason=str(exc))
        raise BadRequestError(why, {"map": [why]}) from None
    options = ImportOptions(
        mode=mode,
        keys=keys,
        dry_run=_flag(query, "dry_run"),
        batch_size=int(size),
        side_effects=_flag(query, "side_effects"),
    )
    read = ReadOptions(encoding=query.get("encoding") or "utf-8", sheet=query.get("sheet"))
    return ImportPlan(options, read, given)


def _visible_import(runtime: Runtime, call: Call, import_id: int) -> dict[str, Any]:
    """The import row if the caller started it or is an admin; else 404."""
    try:
        row = import_row(runtime, call, import_id)
    except ImportRefusedError:
        row = None
    if row is None or not (call.access.admin or row["user_id"] == call.identity.user_id):
        raise NotFoundError(Translatable("No import %(id)s.", id=import_id))
    return row


class ImportUploadController(Controller):
    """``POST /t/{t}/api/{entity}/_import``."""

    path = "/{entity:str}/_import"

    @post("/", status_code=202, request_max_body_size=None)
    async def start_import(
        self, request: Req, services: AppServices, call: Caller, target: Target
    ) -> Response[dict[str, Any]]:
        check_query_params(request.query_params, IMPORT_PARAMS)
        plan = plan_from_query(request.query_params)
        call.access.require(target.name, "import")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_IMPORT_BYTES + FRAMING_BYTES:
            raise too_large(MAX_IMPORT_BYTES)
        folder = services.runtime.config.data_dir / "imports" / ".incoming"
        content_type = request.headers.get("content-type", "")
        received = await receive_file(request.stream(), content_type, MAX_IMPORT_BYTES, folder)
        try:
            import_id = await sync_to_thread(
                start_upload, services.runtime, call, target, received.path, received.filename, plan
            )
        except ImportRefusedError as exc:
            raise ValidationFailedError({"file": list(exc.problems)}) from None
        finally:
            await sync_to_thread(received.discard)
        url = f"/t/{call.tenant}/api/_imports/{import_id}"
        body = {"id": import_id, "state": "queued", "url": url}
        return Response(body, status_code=202, headers={"Location": url})


class ImportsController(Controller):
    """``GET /t/{t}/api/_imports/{id}``, ``…/{id}/errors`` and ``POST …/{id}/cancel``."""

    path = "/_imports"

    @get("/{import_id:int}", sync_to_thread=True)
    def show_import(
        self, request: Req, services: AppServices, call: Caller, import_id: FromPath[int]
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        row = _visible_import(services.runtime, call, import_id)
        body = import_json(row, services.runtime.clock.now())
        report = errors_file(services.runtime, call.tenant, import_id)
        body["errors_url"] = (
            f"/t/{call.tenant}/api/_imports/{import_id}/errors" if report.exists() else None
        )
        return body

    @post("/{import_id:int}/cancel", status_code=200, sync_to_thread=True)
    def cancel(
        self, request: Req, services: AppServices, call: Caller, import_id: FromPath[int]
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        _visible_import(services.runtime, call, import_id)
        try:
            row = cancel_import(services.runtime, call, import_id)
        except ImportRefusedError as exc:
            raise ConflictError(exc.args[0]) from None
        body = import_json(row, services.runtime.clock.now())
        report = errors_file(services.runtime, call.tenant, import_id)
        body["errors_url"] = (
            f"/t/{call.tenant}/api/_imports/{import_id}/errors" if report.exists() else None
        )
        return body

    @get("/{import_id:int}/errors", sync_to_thread=True)
    def import_errors(
        self, request: Req, services: AppServices, call: Caller, import_id: FromPath[int]
    ) -> Stream:
        check_query_params(request.query_params, ())
        _visible_import(services.runtime, call, import_id)
        report = errors_file(services.runtime, call.tenant, import_id)
        if not report.exists():
            raise NotFoundError(
                Translatable("Import %(id)s has no error report (yet).", id=import_id)
            )
        source = report.open("rb")

        def chunks() -> Any:
            with source:
                yield from iter(lambda: source.read(1 << 16), b"")

        name = f"import-{import_id}-errors.csv"
        return Stream(
            chunks(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


__all__ = ["IMPORT_PARAMS", "ImportUploadController", "ImportsController", "plan_from_query"]
