"""The import wizard: upload → mapping with a preview → dry run → run (docs/import.md).

``/t/{t}/e/{entity}/_import`` takes the file, mode and keys; the file becomes a draft
(ui/screens/import_draft.py) and the mapping page shows each column's field (a select
the member may change; htmx re-renders the preview on each change) and the first rows
converted. "Dry run" and "Import" queue the import as the background job the API
queues (platform/imports/background.py) and go to its progress page
(ui/screens/import_status_routes.py). A file that cannot be imported is refused with
the reasons on the page, and nothing is queued. Members need ``import`` on the entity
and ``create`` (insert), ``update`` (update) or both (upsert).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import anyio
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.files.receive import FRAMING_BYTES, ReceivedFile, UploadRefusedError
from trellis.platform.imports.background import MAX_IMPORT_BYTES, import_folder, start_upload
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.readers import ReadOptions, RowSource, file_kind
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens import import_draft as drafts
from trellis.ui.screens.import_choices import (
    apply_columns,
    choose,
    importing,
    key_choices,
    lookup_choices,
    modes_of,
    one_of,
    reused_map,
)
from trellis.ui.screens.import_draft import Draft
from trellis.ui.screens.import_preview import build_mapping
from trellis.ui.screens.import_upload import receive_upload
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    is_htmx,
    page,
    redirect,
    signed_in,
)

Req = Request[Any, Any, Any]
#: Largest file the wizard takes (tests lower it).
MAX_UPLOAD_BYTES = MAX_IMPORT_BYTES
ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16")


def wizard_routes(services: UiServices) -> list[Any]:
    """Route handlers of the import wizard."""
    runtime = services.runtime

    def prepare(request: Req, tenant: str, entity: str) -> tuple[UiCall, CompiledEntity]:
        ui = signed_in(services, request, tenant)
        return ui, importing(ui, entity)

    def upload_page(
        request: Req, ui: UiCall, target: CompiledEntity, problems: list[str], status: int
    ) -> Response[Any]:
        if is_htmx(request) and status >= 400:
            status = 422  # htmx swaps a 422 in (base.html's responseHandling), not a 413
        ctx = {
            "entity": target.entity,
            "modes": modes_of(ui, target.name),
            "encodings": ENCODINGS,
            "key_fields": key_choices(ui, target),
            "problems": problems,
            "max_mib": MAX_UPLOAD_BYTES // (1024 * 1024) or 1,
        }
        return page(request, ui, "import_upload.html", ctx, status=status)

    def make_draft(ui: UiCall, target: CompiledEntity, received: ReceivedFile, fields: Any) -> str:
        now = runtime.clock.now()
        drafts.sweep_drafts(runtime, ui.tenant, now)
        kind = file_kind(received.path)
        draft = Draft(drafts.new_token(), target.name, ui.call.identity.user_id or 0,
                      received.filename or f"upload.{kind}", kind, now.isoformat())  # fmt: skip
        choose(ui, draft, fields)
        dest = drafts.draft_source(runtime, ui.tenant, draft)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(received.path), dest)
        try:
            source = RowSource(dest, ReadOptions(encoding=draft.encoding, sheet=draft.sheet))
            headers, total = source.headers, source.total
            source.close()
        except ImportRefusedError:
            drafts.drop_draft(runtime, ui.tenant, draft.token)
            raise
        draft.map = reused_map(runtime, ui, target, headers)
        draft.estimate = total if total is not None else max(drafts.count_lines(dest) - 1, 0)
        drafts.save_draft(runtime, ui.tenant, draft)
        return draft.token

    @get("/t/{tenant:str}/e/{entity:str}/_import", sync_to_thread=True)
    def start_page(request: Req, tenant: FromPath[str], entity: FromPath[str]) -> Response[Any]:
        ui, target = prepare(request, tenant, entity)
        return upload_page(request, ui, target, [], 200)

    @post("/t/{tenant:str}/e/{entity:str}/_import/upload", request_max_body_size=None)
    async def upload(request: Req, tenant: FromPath[str], entity: FromPath[str]) -> Response[Any]:
        ui, target = await sync_to_thread(prepare, request, tenant, entity)
        t = ui.translator
        limit = MAX_UPLOAD_BYTES
        too_big = t.gettext(
            "The file is larger than the %(mib)s MiB an import may be; split it, or use "
            "trellis import.",
            mib=limit // (1024 * 1024) or 1,
        )
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit + FRAMING_BYTES:
            return await sync_to_thread(upload_page, request, ui, target, [too_big], 413)
        folder = runtime.config.data_dir / "imports" / ".incoming"
        try:
            received, fields = await receive_upload(request, limit, folder)
        except UploadRefusedError as exc:
            shown = too_big if exc.status == 413 else exc.message
            return await sync_to_thread(upload_page, request, ui, target, [shown], exc.status)
        if received is None:
            chosen = t.gettext("Choose a CSV or XLSX file to import.")
            return await sync_to_thread(upload_page, request, ui, target, [chosen], 422)
        try:
            token = await sync_to_thread(make_draft, ui, target, received, fields)
        except ImportRefusedError as exc:
            shown_all = [t.message(p) for p in exc.problems]
            return await sync_to_thread(upload_page, request, ui, target, shown_all, 422)
        finally:
            await anyio.to_thread.run_sync(received.discard)
        return redirect(request, f"/t/{tenant}/e/{entity}/_import/{token}")

    def mapping_page(
        request: Req,
        ui: UiCall,
        target: CompiledEntity,
        draft: Draft,
        status: int = 200,
        refused: list[str] | None = None,
    ) -> Response[Any]:
        path = drafts.draft_source(runtime, ui.tenant, draft)
        try:
            mapping = build_mapping(runtime, ui.call, target, path, draft, ui.translator)
            unreadable: list[str] = []
        except ImportRefusedError as exc:
            mapping, unreadable = None, [ui.translator.message(p) for p in exc.problems]
        if mapping is not None and refused:
            mapping.problems[:0] = refused
        ctx = {
            "entity": target.entity,
            "draft": draft,
            "mapping": mapping,
            "unreadable": unreadable,
            "modes": modes_of(ui, target.name),
            "encodings": ENCODINGS,
            "key_fields": key_choices(ui, target),
            "lookup_choices": lookup_choices(ui, target),
        }
        template = "_import_mapping.html" if is_htmx(request) else "import_mapping.html"
        return page(request, ui, template, ctx, status=status)

    @get("/t/{tenant:str}/e/{entity:str}/_import/{token:str}", sync_to_thread=True)
    def mapping(
        request: Req, tenant: FromPath[str], entity: FromPath[str], token: FromPath[str]
    ) -> Response[Any]:
        ui, target = prepare(request, tenant, entity)
        user = ui.call.identity.user_id or 0
        draft = drafts.load_draft(runtime, tenant, token, user, entity)
        return mapping_page(request, ui, target, draft)

    @post(
        "/t/{tenant:str}/e/{entity:str}/_import/{token:str}",
        status_code=200, sync_to_thread=True, dependencies=POSTED_FORM,
    )  # fmt: skip
    def remap(
        request: Req,
        tenant: FromPath[str],
        entity: FromPath[str],
        token: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target = prepare(request, tenant, entity)
        draft = drafts.load_draft(runtime, tenant, token, ui.call.identity.user_id or 0, entity)
        try:
            choose(ui, draft, form)
        except ImportRefusedError as exc:
            return mapping_page(request, ui, target, draft, 422, list(exc.problems))
        apply_columns(runtime, ui, draft, form)
        drafts.save_draft(runtime, tenant, draft)
        return mapping_page(request, ui, target, draft)

    @post(
        "/t/{tenant:str}/e/{entity:str}/_import/{token:str}/start",
        status_code=200, sync_to_thread=True, dependencies=POSTED_FORM,
    )  # fmt: skip
    def start(
        request: Req,
        tenant: FromPath[str],
        entity: FromPath[str],
        token: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target = prepare(request, tenant, entity)
        draft = drafts.load_draft(runtime, tenant, token, ui.call.identity.user_id or 0, entity)
        dry_run = one_of(form, "dry_run", "0") == "1"
        source = drafts.draft_source(runtime, tenant, draft)
        incoming = runtime.config.data_dir / "imports" / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, prefix=".wizard-", suffix=source.suffix)
        os.close(fd)
        copy = Path(name)
        try:
            if dry_run:
                shutil.copyfile(source, copy)
            else:  # taken, not copied: a second click finds no draft (404), not a 2nd run
                os.replace(source, copy)
        except FileNotFoundError:
            copy.unlink(missing_ok=True)
            raise NotFoundError(ui.translator.message(drafts.NO_DRAFT)) from None
        try:
            import_id = start_upload(
                runtime, ui.call, target, copy, draft.file_name, draft.plan(dry_run=dry_run)
            )
        except ImportRefusedError:
            if dry_run:
                copy.unlink(missing_ok=True)
            else:
                os.replace(copy, source)
            return mapping_page(request, ui, target, draft, 422)
        if draft.estimate is not None:
            estimate = import_folder(runtime, tenant, import_id) / "estimate"
            estimate.write_text(str(draft.estimate), encoding="utf-8")
        drafts.remember_map(runtime, tenant, entity, draft.plan(dry_run=True).given)
        if not dry_run:
            drafts.drop_draft(runtime, tenant, draft.token)
            return redirect(request, f"/t/{tenant}/imports/{import_id}")
        return redirect(request, f"/t/{tenant}/imports/{import_id}?draft={draft.token}")

    return [start_page, upload, mapping, remap, start]


__all__ = ["ENCODINGS", "MAX_UPLOAD_BYTES", "wizard_routes"]
