"""An import's page: live progress while it runs, then its report, cancel and undo.

``/t/{t}/imports/{id}`` shows the import's panel; while the import is queued or
running, htmx polls ``?part=panel`` every second (rows, rows/s, ETA, a Cancel button).
Once it ends, the panel is the report: counts, the first errors, the error file
(``…/errors.csv``) and "Undo import" (platform/imports/undo.py). A dry run's report
offers to run the import for real from its draft. Only the member who started an
import, or a tenant admin, sees it (404 for others), as over the API.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import File

from trellis.platform.imports.background import errors_file, import_folder
from trellis.platform.imports.cancel import cancel_import
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.session import import_row
from trellis.platform.imports.store import import_json
from trellis.platform.imports.undo import undo_import
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens import import_draft as drafts
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect
from trellis.ui.screens.web import signed_in as signed

Req = Request[Any, Any, Any]
#: States in which the panel keeps polling.
LIVE = frozenset({"queued", "running", "cancelling", "interrupted"})
UNDOABLE = frozenset({"done", "failed", "interrupted", "cancelled"})


def visible_import(services: UiServices, ui: UiCall, import_id: int) -> dict[str, Any]:
    """The import row when the member started it or is an admin; 404 otherwise."""
    try:
        row = import_row(services.runtime, ui.call, import_id)
    except ImportRefusedError:
        row = None
    if row is None or not (ui.call.access.admin or row["user_id"] == ui.call.identity.user_id):
        raise NotFoundError(ui.translator.gettext("No such import."))
    return row


def _estimate(services: UiServices, tenant: str, import_id: int) -> int | None:
    path = import_folder(services.runtime, tenant, import_id) / "estimate"
    try:
        return int(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _error_lines(ui: UiCall, entity: Any, first: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Each first error as (row, "Field label: message | …") in the member's language."""
    t = ui.translator
    fields = entity.entity.fields if entity is not None else {}
    lines = []
    for item in first:
        parts = []
        for name, messages in (item.get("errors") or {}).items():
            f = fields.get(name)
            label = t.label(f.label) if f is not None else name
            for message in messages:
                text = t.message(message)
                parts.append(text if name == "__all__" else f"{label}: {text}")
        lines.append((int(item.get("row") or 0), " | ".join(parts)))
    return lines


def panel_context(
    services: UiServices, ui: UiCall, row: dict[str, Any], draft: str | None
) -> dict[str, Any]:
    """What the panel shows: state, progress, rate, ETA, counts, errors, actions."""
    runtime = services.runtime
    body = import_json(row, runtime.clock.now())
    total = body["total"] or _estimate(services, ui.tenant, row["id"])
    done, rate = body["rows"], body["rows_per_second"]
    if total is not None:
        total = max(total, done)
    eta = round((total - done) / rate) if rate and total is not None else None
    entity = ui.call.app.entities.get(row["entity"])
    has_draft = False
    if draft and row["dry_run"]:
        try:
            user = ui.call.identity.user_id or 0
            drafts.load_draft(runtime, ui.tenant, draft, user, row["entity"])
            has_draft = True
        except NotFoundError:
            has_draft = False
    state = body["state"]
    return {
        "error_lines": _error_lines(ui, entity, body["first_errors"]),
        "imp": body,
        "entity": entity.entity if entity is not None else None,
        "live": state in LIVE,
        "total": total,
        "percent": min(100, round(100 * done / total)) if total else None,
        "eta": eta,
        "draft": draft if has_draft else None,
        "errors_url": (
            f"/t/{ui.tenant}/imports/{row['id']}/errors.csv"
            if errors_file(runtime, ui.tenant, row["id"]).exists()
            else None
        ),
        "can_cancel": state in ("queued", "running", "interrupted"),
        "can_undo": not row["dry_run"] and state in UNDOABLE,
    }


def import_status_routes(services: UiServices) -> list[Any]:
    """Route handlers of an import's page, its panel, cancel, undo and error file."""
    runtime = services.runtime

    @get("/t/{tenant:str}/imports/{import_id:int}", sync_to_thread=True)
    def status_page(request: Req, tenant: FromPath[str], import_id: FromPath[int]) -> Response[Any]:
        ui = signed(services, request, tenant)
        row = visible_import(services, ui, import_id)
        ctx = panel_context(services, ui, row, request.query_params.get("draft"))
        template = "_import_panel.html" if request.query_params.get("part") == "panel" else None
        return page(request, ui, template or "import_status.html", ctx)

    @post(
        "/t/{tenant:str}/imports/{import_id:int}/cancel",
        status_code=200, sync_to_thread=True, dependencies=POSTED_FORM,
    )  # fmt: skip
    def cancel(
        request: Req, tenant: FromPath[str], import_id: FromPath[int], form: PostedForm
    ) -> Response[Any]:
        del form
        ui = signed(services, request, tenant)
        visible_import(services, ui, import_id)
        t = ui.translator
        try:
            cancel_import(runtime, ui.call, import_id)
            said = t.gettext("Import %(id)s is being cancelled.", id=import_id)
        except ImportRefusedError as exc:
            said = t.message(exc.problems[0])
        return redirect(request, f"/t/{tenant}/imports/{import_id}", flash=said)

    @post(
        "/t/{tenant:str}/imports/{import_id:int}/undo",
        status_code=200, sync_to_thread=True, dependencies=POSTED_FORM,
    )  # fmt: skip
    def undo(
        request: Req, tenant: FromPath[str], import_id: FromPath[int], form: PostedForm
    ) -> Response[Any]:
        del form
        ui = signed(services, request, tenant)
        visible_import(services, ui, import_id)
        t = ui.translator
        try:
            report = undo_import(runtime, ui.call, import_id)
            said = t.gettext(
                "Import undone: %(deleted)s records deleted, %(restored)s restored, "
                "%(skipped)s skipped.",
                **report.as_json(),
            )
        except ImportRefusedError as exc:
            said = t.message(exc.problems[0])
        return redirect(request, f"/t/{tenant}/imports/{import_id}", flash=said)

    @get("/t/{tenant:str}/imports/{import_id:int}/errors.csv", sync_to_thread=True)
    def error_file(request: Req, tenant: FromPath[str], import_id: FromPath[int]) -> File:
        ui = signed(services, request, tenant)
        visible_import(services, ui, import_id)
        path = errors_file(runtime, tenant, import_id)
        if not path.exists():
            raise NotFoundError(ui.translator.gettext("This import has no error file."))
        name = f"import-{import_id}-errors.csv"
        return File(path=path, filename=name, media_type="text/csv; charset=utf-8")

    return [status_page, cancel, undo, error_file]


__all__ = ["LIVE", "import_status_routes", "panel_context", "visible_import"]
