"""Create a dashboard, and edit a dashboard's label and description (tenant admins only).

``POST /t/{t}/admin/dashboards`` adds ``dashboards/<name>.yaml`` to the draft from the
form on the dashboards page; ``GET|POST /t/{t}/admin/dashboards/{name}/details`` shows
and saves the label and description. Both save at the draft revision the page was read
at: a stale page gets 409, a refusal 422 with the typed values kept and the reason (the
positioned errors when the package would not validate); the draft is then untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.designers.dashboard_details import (
    DashboardDetails,
    DashboardExistsError,
    DashboardNameError,
    add_dashboard,
    details_of,
    save_details,
)
from trellis.platform.designers.dashboard_service import dashboard_file, dashboard_files
from trellis.platform.designers.rules_service import draft_model
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect

_BASE = "/t/{tenant:str}/admin/dashboards"


def _details(values: Mapping[str, str]) -> DashboardDetails:
    return DashboardDetails(
        label_en=values.get("label_en", ""),
        label_es=values.get("label_es", ""),
        description_en=values.get("description_en", ""),
        description_es=values.get("description_es", ""),
    )


def _stale(ui: UiCall, exc: DraftConflictError) -> str:
    return ui.translator.gettext(
        "Another admin (%(who)s) saved the draft since you opened this page. "
        "Your changes are still in this form: reload the page in a new tab, "
        "apply them again and save.",
        who=exc.updated_by or "?",
    )


def _typed(form: PostedForm) -> tuple[dict[str, str], int]:
    values = {k: v.strip() for k, v in form_dict(form).items()}
    version = values.get("draft_version", "")
    return values, int(version) if version.isdigit() else 0


def dashboard_details_routes(services: UiServices) -> list[Any]:
    """Route handlers that create a dashboard or change its label and description."""
    rt = services.runtime

    def listing(
        request: Request[Any, Any, Any],
        ui: UiCall,
        values: Mapping[str, str] | None = None,
        revision: int | None = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
        general: list[str] | None = None,
        stale: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        boards, current = dashboard_files(rt, ui.tenant)
        ctx = {
            "boards": boards,
            "revision": current if revision is None else revision,
            "entity_names": sorted(draft_model(rt, ui.tenant).entities),
            "new_values": values or {},
            "new_errors": errors or {},
            "new_general": general or [],
            "new_stale": stale,
        }
        return page(request, ui, "designer_dashboards.html", ctx, status=status)

    def details_page(
        request: Request[Any, Any, Any],
        ui: UiCall,
        name: str,
        values: Mapping[str, str] | None = None,
        revision: int | None = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
        general: list[str] | None = None,
        stale: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        try:
            board = dashboard_file(rt, ui.tenant, name)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such dashboard in the draft.")) from None
        if values is None:
            found = details_of(board.text)
            values = {
                "label_en": found.label_en,
                "label_es": found.label_es,
                "description_en": found.description_en,
                "description_es": found.description_es,
            }
        ctx = {
            "board": board,
            "revision": board.revision if revision is None else revision,
            "values": values,
            "errors": errors or {},
            "general": general or [],
            "stale": stale,
        }
        return page(request, ui, "designer_dashboard_details.html", ctx, status=status)

    @get(_BASE, sync_to_thread=True)
    def dashboards_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        return listing(request, admin_call(services, request, tenant))

    @post(_BASE, sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def create_dashboard(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values, revision = _typed(form)
        name = values.get("name", "")
        errors: dict[str, list[str]] = {}
        if not name:
            errors["name"] = [t.gettext("Give the dashboard a name.")]
        if not values.get("label_en"):
            errors["label"] = [t.gettext("Give the dashboard a label in English.")]
        if not values.get("entity"):
            errors["entity"] = [t.gettext("Choose the entity the first tile counts.")]
        again: dict[str, Any] = {"status": 422}
        if errors:
            return listing(request, ui, values, revision, errors=errors, **again)
        try:
            add_dashboard(
                rt,
                tenant,
                name,
                _details(values),
                values["entity"],
                expected=revision,
                actor=ui.call.identity.email,
            )
        except DashboardNameError:
            bad = t.gettext(
                "%(name)s is not a valid dashboard name: lower case letters, digits and _, "
                "starting with a letter, at most 40 characters.",
                name=name,
            )
            return listing(request, ui, values, revision, errors={"name": [bad]}, **again)
        except DashboardExistsError:
            taken = t.gettext("The application already has a dashboard named %(name)s.", name=name)
            return listing(request, ui, values, revision, errors={"name": [taken]}, **again)
        except InvalidDraftError as exc:
            general = [str(e["text"]) for e in exc.errors]
            return listing(request, ui, values, revision, general=general, **again)
        except DraftConflictError as exc:
            return listing(request, ui, values, revision, stale=_stale(ui, exc), status=409)
        done = t.gettext("Dashboard %(name)s added to the draft.", name=name)
        return redirect(request, f"/t/{tenant}/admin/dashboards/{name}", flash=done)

    @get(f"{_BASE}/{{name:str}}/details", sync_to_thread=True)
    def details_form(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        return details_page(request, admin_call(services, request, tenant), name)

    @post(
        f"{_BASE}/{{name:str}}/details",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def save_details_post(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values, revision = _typed(form)
        if not values.get("label_en"):
            label = [t.gettext("Give the dashboard a label in English.")]
            return details_page(
                request, ui, name, values, revision, errors={"label": label}, status=422
            )
        try:
            save_details(
                rt, tenant, name, _details(values), expected=revision, actor=ui.call.identity.email
            )
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such dashboard in the draft.")) from None
        except InvalidDraftError as exc:
            general = [str(e["text"]) for e in exc.errors]
            return details_page(request, ui, name, values, revision, general=general, status=422)
        except DraftConflictError as exc:
            stale = _stale(ui, exc)
            return details_page(request, ui, name, values, revision, stale=stale, status=409)
        done = t.gettext("Dashboard saved in the draft.")
        return redirect(request, f"/t/{tenant}/admin/dashboards/{name}", flash=done)

    return [dashboards_page, create_dashboard, details_form, save_details_post]


__all__ = ["dashboard_details_routes"]
