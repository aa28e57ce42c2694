"""The layout designer: ``/t/{t}/admin/entities/{e}/layouts`` (tenant admins only).

Shows an entity's form and detail sections, related lists, list columns and kanban
card fields; every change is a plain form post (buttons: move up, down, to a
section, remove, add), so the keyboard and a browser without scripts can do
everything. Drag and drop (static/layout_designer.js) fills in the same form. A
change goes to the draft at the revision the page was read at; a refused one shows
the page again with the reason and nothing changed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.layouts import FORM_STANDARD_COLUMNS, LAYOUT_STANDARD_COLUMNS
from trellis.metadata.model.local_text import local_text
from trellis.platform.designers.layout_edit import FLAT, LayoutChange, LayoutEditError
from trellis.platform.designers.layout_service import EntityLayouts, edit_layout, entity_layouts
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect


def _number(value: str, default: int = -1) -> int:
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() else default


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _texts(section: dict[str, Any]) -> dict[str, str]:
    """A section's name in English and Spanish and its tab, as the edit form shows them."""
    label, tab = section.get("label"), section.get("tab")
    names = label if isinstance(label, dict) else {"en": label, "es": label}
    return {
        "en": str(names.get("en") or ""),
        "es": str(names.get("es") or ""),
        "tab": str(local_text(tab) or ""),
    }


def _offered(view: EntityLayouts, screen: str, shown: list[str]) -> list[str]:
    """The fields ``screen`` may still add (its own, standard columns where allowed)."""
    allowed = FORM_STANDARD_COLUMNS if screen == "form" else LAYOUT_STANDARD_COLUMNS
    own = [n for n in view.fields if n not in LAYOUT_STANDARD_COLUMNS]
    return [n for n in (*own, *allowed) if n not in shown]


def screens_of(view: EntityLayouts) -> list[dict[str, Any]]:
    """What the page shows of each screen: sections (or one flat list) and addable fields."""
    found: list[dict[str, Any]] = []
    for screen in ("form", "detail", *FLAT):
        spec = view.layouts.get(screen)
        if not isinstance(spec, dict):
            continue
        if screen in FLAT:
            names = _names(spec.get(FLAT[screen]))
            sections: list[dict[str, Any]] = [{"label": None, "tab": None, "fields": names}]
        else:
            sections = [
                {
                    "label": local_text(s.get("label")),
                    "tab": local_text(s.get("tab")),
                    "fields": _names(s.get("fields")),
                    "texts": _texts(s),
                }
                for s in spec.get("sections") or []
                if isinstance(s, dict)
            ]
        shown = [n for s in sections for n in s["fields"]]
        found.append(
            {
                "name": screen,
                "flat": screen in FLAT,
                "declared": screen in view.declared,
                "sections": sections,
                "offered": _offered(view, screen, shown),
            }
        )
    return found


def related_of(view: EntityLayouts) -> list[dict[str, Any]]:
    """The detail page's declared related lists, in order."""
    detail = view.layouts.get("detail")
    items = detail.get("related") if isinstance(detail, dict) else None
    return [
        {
            "entity": str(r.get("entity", "")),
            "field": str(r.get("field", "")),
            "label": local_text(r.get("label")),
        }
        for r in (items if isinstance(items, list) else [])
        if isinstance(r, dict)
    ]


def layout_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the layout designer."""

    def show(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: str,
        *,
        errors: list[str] | None = None,
        status: int = 200,
        revision: int | None = None,
    ) -> Response[Any]:
        try:
            view = entity_layouts(services.runtime, ui.tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        ctx = {
            "pressed": (request.query_params.get("at"), request.query_params.get("pressed")),
            "view": view,
            "screens": screens_of(view),
            "related": related_of(view),
            "errors": errors or [],
            "revision": view.revision if revision is None else revision,
        }
        return page(request, ui, "designer_layouts.html", ctx, status=status)

    @get("/t/{tenant:str}/admin/entities/{entity:str}/layouts", sync_to_thread=True)
    def layouts_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        return show(request, admin_call(services, request, tenant), entity)

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/layouts",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def change_layout(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        revision = _number(values.get("draft_version", ""), 0)
        change = LayoutChange(
            op=values.get("op", ""),
            screen=values.get("screen", ""),
            field=values.get("field", "").strip(),
            section=_number(values.get("section", "")),
            index=_number(values.get("index", "")),
            label_en=values.get("label_en", ""),
            label_es=values.get("label_es", ""),
            tab=values.get("tab", ""),
        )
        try:
            edit_layout(
                services.runtime,
                tenant,
                entity,
                change,
                expected=revision,
                actor=ui.call.identity.email,
            )
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such entity in the draft.")) from None
        except LayoutEditError as exc:
            return show(
                request, ui, entity, errors=[t.message(exc.message)], status=422, revision=revision
            )
        except InvalidDraftError as exc:
            placed = [str(e["text"]) for e in exc.errors]
            return show(request, ui, entity, errors=placed, status=422, revision=revision)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Nothing was changed: the page now shows the draft as it is; "
                "make your change again.",
                who=exc.updated_by or "?",
            )
            return show(request, ui, entity, errors=[stale], status=409)
        done = t.gettext("Layout saved in the draft.")
        # Back with the focus on the button pressed (``autofocus``): press it again.
        anchor = (
            f"?pressed={change.op}&at={change.screen}-field-{change.field}" if change.field else ""
        )
        return redirect(request, f"/t/{tenant}/admin/entities/{entity}/layouts{anchor}", flash=done)

    return [layouts_page, change_layout]


__all__ = ["layout_designer_routes"]
