"""The dashboards designer: ``/t/{t}/admin/dashboards/{name}`` (tenant admins only).

The list of dashboards, a new dashboard and its label are in ``dashboard_details_routes``.
A dashboard's page lists its tiles in order with buttons to move one up or down (the
keyboard way to reorder) or remove it, and links to the tile editor. The editor's form
posts (htmx, debounced) to ``…/preview``, which loads the draft with the tile and
answers its errors placed on their inputs (the filter underlined by the rule checker,
as the rules editor does) or the tile computed on the tenant's data through the
admin's access. Saving writes the tile into the draft at the revision the page was read
at (409 when stale, 422 with the errors).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import RATIO_PARTS, TILE_AGGREGATES, TILE_KINDS, TIME_BUCKETS
from trellis.platform.designers.dashboard_service import (
    TileCheck,
    TileEditError,
    TileInvalidError,
    dashboard_file,
    form_of,
    move_or_remove,
    save_tile,
)
from trellis.platform.designers.rules_service import draft_model
from trellis.platform.designers.tile_options import having_rows
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.dashboard_preview import preview_context
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect

_BASE = "/t/{tenant:str}/admin/dashboards"


def _revision(values: dict[str, str]) -> int:
    text = values.get("draft_version", "").strip()
    return int(text) if text.isdigit() else 0


def dashboard_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the dashboards designer."""
    rt = services.runtime

    def missing(ui: UiCall) -> NotFoundError:
        return NotFoundError(ui.translator.gettext("No such dashboard in the draft."))

    def board_page(
        request: Request[Any, Any, Any],
        ui: UiCall,
        name: str,
        *,
        errors: list[str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        try:
            board = dashboard_file(rt, ui.tenant, name)
        except DraftFileNotFoundError:
            raise missing(ui) from None
        pressed = (request.query_params.get("at"), request.query_params.get("pressed"))
        ctx = {"board": board, "errors": errors or [], "pressed": pressed}
        return page(request, ui, "designer_dashboard.html", ctx, status=status)

    def editor(
        request: Request[Any, Any, Any],
        ui: UiCall,
        name: str,
        index: int | None,
        values: dict[str, str] | None = None,
        *,
        check: TileCheck | None = None,
        revision: int | None = None,
        stale: str | None = None,
        refused: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        try:
            board = dashboard_file(rt, ui.tenant, name)
        except DraftFileNotFoundError:
            raise missing(ui) from None
        if index is not None and not 0 <= index < len(board.tiles):
            raise NotFoundError(ui.translator.gettext("No such tile."))
        if values is None:
            values = form_of(board.tiles[index]) if index is not None else {"kind": "kpi"}
        # The preview (the package check and the figure on the tenant's data) dominates the
        # page's cost: it loads after the page (htmx), unless a refused save placed errors.
        lazy = check is None
        preview = {} if lazy else preview_context(services, ui, name, index, values, check)
        ctx = {
            "entity_names": sorted(draft_model(rt, ui.tenant).entities),
            "board": board,
            "index": index,
            "values": values,
            "revision": board.revision if revision is None else revision,
            "stale": stale,
            "refused": refused,
            "kinds": TILE_KINDS,
            "aggregates": TILE_AGGREGATES,
            "buckets": TIME_BUCKETS,
            "parts": RATIO_PARTS,
            "having_rows": having_rows(values),
            "lazy": lazy,
            "inline": {},
            "general": [],
            **preview,
        }
        return page(request, ui, "designer_tile.html", ctx, status=status)

    @get(f"{_BASE}/{{name:str}}", sync_to_thread=True)
    def dashboard_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        return board_page(request, admin_call(services, request, tenant), name)

    @post(f"{_BASE}/{{name:str}}", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def change_tiles(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        text, op = values.get("tile", ""), values.get("op", "")
        index = int(text) - 1 if text.isdigit() else -1
        try:
            move_or_remove(
                rt,
                tenant,
                name,
                op,
                index,
                expected=_revision(values),
                actor=ui.call.identity.email,
            )
        except DraftFileNotFoundError:
            raise missing(ui) from None
        except TileEditError as exc:
            return board_page(request, ui, name, errors=[t.message(exc.message)], status=422)
        except InvalidDraftError as exc:
            return board_page(
                request, ui, name, errors=[str(e["text"]) for e in exc.errors], status=422
            )
        except DraftConflictError as exc:
            return board_page(request, ui, name, errors=[_stale(ui, exc)], status=409)
        moved = index + (-1 if op == "up" else 1)
        anchor = f"?pressed={op}&at={moved + 1}" if op in ("up", "down") else ""
        done = t.gettext("Dashboard saved in the draft.")
        return redirect(request, f"/t/{tenant}/admin/dashboards/{name}{anchor}", flash=done)

    @get(f"{_BASE}/{{name:str}}/tiles/new", sync_to_thread=True)
    def new_tile_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        return editor(request, admin_call(services, request, tenant), name, None)

    @get(f"{_BASE}/{{name:str}}/tiles/{{number:int}}", sync_to_thread=True)
    def tile_page(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        number: FromPath[int],
    ) -> Response[Any]:
        return editor(request, admin_call(services, request, tenant), name, number - 1)

    @post(
        f"{_BASE}/{{name:str}}/tiles",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def save_tile_post(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        text = values.get("tile", "").strip()
        index = int(text) - 1 if text.isdigit() else None
        revision = _revision(values)
        again: dict[str, Any] = {"revision": revision, "status": 422}
        try:
            save_tile(
                rt, tenant, name, index, values, expected=revision, actor=ui.call.identity.email
            )
        except DraftFileNotFoundError:
            raise missing(ui) from None
        except TileEditError as exc:
            message = t.message(exc.message)
            if exc.input_name:  # shown on its input, as the loader's errors are
                check = TileCheck(inline={exc.input_name: [{"text": message}]})
                return editor(request, ui, name, index, values, check=check, **again)
            return editor(request, ui, name, index, values, refused=message, **again)
        except TileInvalidError as exc:
            return editor(request, ui, name, index, values, check=exc.check, **again)
        except DraftConflictError as exc:
            return editor(
                request,
                ui,
                name,
                index,
                values,
                revision=revision,
                stale=_stale(ui, exc),
                status=409,
            )
        done = t.gettext("Tile saved in the draft.")
        return redirect(request, f"/t/{tenant}/admin/dashboards/{name}", flash=done)

    @post(
        f"{_BASE}/{{name:str}}/preview",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def preview_fragment(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        text = values.get("tile", "").strip()
        index = int(text) - 1 if text.isdigit() else None
        try:
            ctx = preview_context(services, ui, name, index, values, None)
        except DraftFileNotFoundError:
            raise missing(ui) from None
        return page(request, ui, "_tile_preview.html", ctx)

    return [
        dashboard_page,
        change_tiles,
        new_tile_page,
        tile_page,
        save_tile_post,
        preview_fragment,
    ]


def _stale(ui: UiCall, exc: DraftConflictError) -> str:
    return ui.translator.gettext(
        "Another admin (%(who)s) saved the draft since you opened this page. "
        "Nothing was changed: the page now shows the draft as it is; "
        "make your change again.",
        who=exc.updated_by or "?",
    )


__all__ = ["dashboard_designer_routes"]
