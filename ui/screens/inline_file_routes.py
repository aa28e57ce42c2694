"""Edit a file field in place on its record's page: upload a file, remove one.

``POST …/{id}/_field/{name}/file?version=N`` takes ``multipart/form-data`` with a part
named ``file`` (streamed like the file form's upload, with the field's size limit and
sniffed formats); ``POST …/_field/{name}/remove`` takes ``file_id`` and ``version``.
Both save through the files service (the record's save pipeline) against the version
the page was drawn from: a stale one (409) comes back in the editor with the saved
files and the one chosen, a refusal (413, 415, 422) with its reason.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from litestar import Request, Response, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import FieldType
from trellis.platform.files.receive import FRAMING_BYTES, too_large
from trellis.platform.i18n import N_, Translatable
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RecordError,
    ValidationFailedError,
)
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.file_routes import received_upload
from trellis.ui.screens.inline_fragment import inline_fragment, presenter
from trellis.ui.screens.record_form import posted_multi
from trellis.ui.screens.record_header import inline_fields
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, signed_in

BASE = "/t/{tenant:str}/e/{entity:str}/{record_id:str}/_field/{name:str}"
NO_FILE = N_("Choose a file to upload.")


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def inline_file_routes(services: UiServices) -> list[Any]:
    """Route handlers of the in-place editor of file fields."""
    api = services.records
    files = services.app.files

    def target(
        request: Request[Any, Any, Any], tenant: str, entity: str, name: str
    ) -> tuple[UiCall, CompiledEntity]:
        ui = signed_in(services, request, tenant)
        compiled = readable_entity(ui.call, entity)
        f = compiled.entity.fields.get(name)
        editable = name in inline_fields(ui.call, compiled.entity)
        if f is None or f.type != FieldType.FILE or not editable:
            raise ForbiddenError(
                Translatable("The field '%(name)s' cannot be edited here.", name=name)
            )
        return ui, compiled

    def answer(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: CompiledEntity,
        ident: int,
        name: str,
        failure: RecordError | None,
        *,
        yours: str,
        version: int | None,
    ) -> Response[Any]:
        """The saved field, or its editor with the refusal or the conflict."""
        record = api.read(ui.call, entity, ident).record
        if failure is None:
            done = inline_fragment(
                services, request, ui, entity, record, name, editing=False, saved=True
            )
            done.headers["HX-Trigger"] = "record-saved"  # the files card and stage bar redraw
            return done
        now = record.get("version")
        if isinstance(failure, ConflictError):
            shown = presenter(services, ui)
            theirs = shown.cell(entity.entity, record, name).text
            conflict = {"message": str(failure), "theirs": theirs, "yours": yours}
            return inline_fragment(
                services,
                request,
                ui,
                entity,
                record,
                name,
                editing=True,
                status=409,
                conflict=conflict,
                version=now,
            )
        errors = failure.body().get("errors") or {"__all__": [failure.message]}
        messages = [m for ms in errors.values() for m in ms]
        return inline_fragment(
            services,
            request,
            ui,
            entity,
            record,
            name,
            editing=True,
            status=failure.status,
            messages=messages,
            version=version if version is not None else now,
        )

    @post(BASE + "/file", request_max_body_size=None)
    async def upload(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
    ) -> Response[Any]:
        ui, compiled = await sync_to_thread(target, request, tenant, entity, name)
        ident = parse_id(entity, record_id)
        version = _version(request.query_params.get("version"))
        failure: RecordError | None = None
        chosen = ""
        try:
            f = files.field(ui.call, compiled, name)
            await sync_to_thread(files.check_upload, ui.call, compiled, ident, f)
            limit = files.limit(f)
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit + FRAMING_BYTES:
                raise too_large(limit)
            received = await received_upload(request, limit, files.incoming)
            try:
                chosen = received.filename
                if received.size == 0 and not received.filename:
                    raise ValidationFailedError({name: [NO_FILE]})
                await sync_to_thread(files.attach, ui.call, compiled, ident, f, received, version)
            finally:
                await anyio.to_thread.run_sync(received.discard)
        except RecordError as exc:
            if exc.status == 404:
                raise
            failure = exc
        return await sync_to_thread(
            partial(answer, yours=chosen, version=version),
            request,
            ui,
            compiled,
            ident,
            name,
            failure,
        )

    @post(BASE + "/remove", sync_to_thread=True, dependencies=POSTED_FORM)
    def remove(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, compiled = target(request, tenant, entity, name)
        ident = parse_id(entity, record_id)
        posted = posted_multi(form)
        version = _version((posted.get("version") or [""])[-1])
        file_id = (posted.get("file_id") or [""])[-1]
        failure: RecordError | None = None
        try:
            f = files.field(ui.call, compiled, name)
            files.remove(ui.call, compiled, ident, f, file_id, version)
        except NotFoundError as exc:
            # The file went meanwhile (the record itself: answer() raises 404 reading it).
            failure = ConflictError(exc.message)
        except RecordError as exc:
            failure = exc
        return answer(request, ui, compiled, ident, name, failure, yours="—", version=version)

    return [upload, remove]


__all__ = ["inline_file_routes"]
