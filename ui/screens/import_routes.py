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

import shutil
from typing import Any

import anyio
from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.files.receive import FRAMING_BYTES, ReceivedFile, UploadRefusedError
from trellis.platform.imports.background import MAX_IMPORT_BYTES, import_folder, start_upload
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import importable
from trellis.platform.imports.readers import ReadOptions, RowSource, file_kind
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import ForbiddenError
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens import import_draft as drafts
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


def modes_of(ui: UiCall, entity: str) -> list[str]:
    """The modes the member may use: insert (create), update (update), upsert (both)."""
    access = ui.call.access
    create, update = access.can(entity, "create"), access.can(entity, "update")
    offered = (("insert", create), ("update", update), ("upsert", create and update))
    return [mode for mode, ok in offered if ok]


def importing(ui: UiCall, name: str) -> CompiledEntity:
    """The entity, when the member may import into it (403 otherwise)."""
    target = readable_entity(ui.call, name)
    if not ui.call.access.can(name, "import") or not modes_of(ui, name):
        label = ui.translator.label(target.entity.plural_label)
        raise ForbiddenError(
            ui.translator.gettext("Your role may not import %(label)s.", label=label)
        )
    return target


def _all(fields: Any, name: str) -> list[Any]:
    """Every value of ``name`` in a posted form or a dict of lists."""
    if isinstance(fields, dict):
        return list(fields.get(name, []))
    return list(fields.getall(name, []))


def _one(fields: Any, name: str, default: str = "") -> str:
    values = _all(fields, name)
    return str(values[-1]).strip() if values else default


def _keys(fields: Any) -> list[str]:
    return [k.strip() for v in _all(fields, "key") for k in str(v).split(",") if k.strip()]


def _choose(ui: UiCall, draft: Draft, fields: Any) -> None:
    """Take mode, keys, encoding and sheet from a posted form (refused when not offered)."""
    mode = _one(fields, "mode", "insert")
    if mode not in modes_of(ui, draft.entity):
        raise ImportRefusedError(
            ui.translator.gettext("Mode '%(mode)s' is not offered to you.", mode=mode)
        )
    draft.mode, draft.keys = mode, _keys(fields)
    draft.encoding = _one(fields, "encoding", "utf-8") or "utf-8"
    draft.sheet = _one(fields, "sheet") or None


def _reused_map(runtime: Any, ui: UiCall, target: CompiledEntity, headers: tuple[str, ...]) -> Any:
    """The entity's saved map, kept to this file's columns and the member's fields."""
    fields = importable(target, ui.call.access.entity(target.name).hidden)
    saved = drafts.saved_map(runtime, ui.tenant, target.name)
    lookups = {n: v for n, v in saved.lookups.items() if n in fields}
    return {
        "columns": {
            h: f for h, f in saved.columns.items() if h in headers and (f is None or f in fields)
        },
        "lookups": lookups,
        "create_missing": [n for n in saved.create_missing if n in lookups],
        "formats": {n: v for n, v in saved.formats.items() if n in fields},
    }


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
            "key_fields": _key_choices(ui, target),
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
        _choose(ui, draft, fields)
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
        draft.map = _reused_map(runtime, ui, target, headers)
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
            "key_fields": _key_choices(ui, target),
            "lookup_choices": _lookup_choices(ui, target),
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
            _choose(ui, draft, form)
        except ImportRefusedError as exc:
            return mapping_page(request, ui, target, draft, 422, list(exc.problems))
        _apply_columns(runtime, ui, draft, form)
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
        dry_run = _one(form, "dry_run", "0") == "1"
        source = drafts.draft_source(runtime, tenant, draft)
        incoming = runtime.config.data_dir / "imports" / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        copy = incoming / f".wizard-{draft.token}{source.suffix}"
        shutil.copyfile(source, copy)
        try:
            import_id = start_upload(
                runtime, ui.call, target, copy, draft.file_name, draft.plan(dry_run=dry_run)
            )
        except ImportRefusedError:
            copy.unlink(missing_ok=True)
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


def _apply_columns(runtime: Any, ui: UiCall, draft: Draft, form: Any) -> None:
    """Take each column's field (``col-N``) and each reference's lookup from the form."""
    path = drafts.draft_source(runtime, ui.tenant, draft)
    try:
        source = RowSource(path, ReadOptions(encoding=draft.encoding, sheet=draft.sheet))
    except ImportRefusedError:
        return  # the mapping page shows why the file cannot be read
    headers = source.headers
    source.close()
    current = dict(draft.map or {})
    columns = dict(current.get("columns") or {})
    for index, header in enumerate(headers):
        name = f"col-{index}"
        if name in form:
            columns[header] = _one(form, name) or None
    lookups = dict(current.get("lookups") or {})
    for key in list(form.keys()):
        if key.startswith("lookup-"):
            field = key.removeprefix("lookup-")
            value = _one(form, key)
            if value:
                lookups[field] = value
            else:
                lookups.pop(field, None)
    current["columns"], current["lookups"] = columns, lookups
    current["create_missing"] = [n for n in current.get("create_missing") or [] if n in lookups]
    draft.map = current


def _key_choices(ui: UiCall, target: CompiledEntity) -> list[tuple[str, str]]:
    hidden = ui.call.access.entity(target.name).hidden
    return [(n, ui.translator.label(f.label)) for n, f in importable(target, hidden).items()]


def _lookup_choices(ui: UiCall, target: CompiledEntity) -> dict[str, list[tuple[str, str]]]:
    """For each reference field: the target's fields a cell may name (by name)."""
    hidden = ui.call.access.entity(target.name).hidden
    found: dict[str, list[tuple[str, str]]] = {}
    for name, f in importable(target, hidden).items():
        other = ui.call.app.entities.get(str(f.to)) if f.to else None
        if other is None or not ui.call.access.can(other.name, "read"):
            continue
        seen = ui.call.access.entity(other.name).hidden
        found[name] = [
            (n, ui.translator.label(g.label))
            for n, g in importable(other, seen).items()
            if g.to is None
        ]
    return found


__all__ = ["ENCODINGS", "MAX_UPLOAD_BYTES", "importing", "modes_of", "wizard_routes"]
