"""The public form designer: ``/t/{t}/admin/public-forms`` (tenant admins only).

Lists the app's public forms (``forms/<name>.yaml``); one form's page edits the fields
it shows (order by number, label and help in English and Spanish, required, remove,
add one of the entity's fillable fields), its title, description, submit label and
success message. A save is one plain form post, validated with the whole package and
stored in the draft at the revision the page was read at.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.designers.form_service import (
    LOCALES,
    TEXTS,
    FieldRow,
    FormChange,
    FormEditError,
    FormFile,
    form_file,
    form_files,
    offered_fields,
    save_form,
)
from trellis.platform.designers.form_yaml import FormFileError
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect

_BASE = "/t/{tenant:str}/admin/public-forms"
#: The most field rows one post may carry.
MAX_ROWS = 200


def _number(text: str, default: int) -> int:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 9 else default


def change_of(values: dict[str, str]) -> FormChange:
    """The posted page as a :class:`FormChange` (rows ``f{i}_…``, texts ``{key}_{locale}``)."""
    rows = []
    for i in range(1, MAX_ROWS + 1):
        name = values.get(f"f{i}_name")
        if name is None:
            break
        rows.append(
            FieldRow(
                name=name,
                label={loc: values.get(f"f{i}_label_{loc}", "") for loc in LOCALES},
                help={loc: values.get(f"f{i}_help_{loc}", "") for loc in LOCALES},
                required=values.get(f"f{i}_required") == "on",
                position=_number(values.get(f"f{i}_position", ""), i),
                remove=values.get(f"f{i}_remove") == "on",
            )
        )
    texts = {
        key: {loc: values[f"{key}_{loc}"] for loc in LOCALES if f"{key}_{loc}" in values}
        for key in TEXTS
    }
    return FormChange(rows, {k: v for k, v in texts.items() if v}, values.get("add", ""))


def form_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the public form designer."""
    rt = services.runtime

    def current(ui: UiCall, name: str) -> FormFile:
        try:
            return form_file(rt, ui.tenant, name)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such public form.")) from None

    def editor(
        request: Request[Any, Any, Any],
        ui: UiCall,
        form: FormFile,
        *,
        change: FormChange | None = None,
        revision: int | None = None,
        problems: list[str] | None = None,
        stale: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        ctx = {
            "form": form,
            "rows": change.fields if change is not None else form.rows,
            "texts": {**form.texts, **(change.texts if change is not None else {})},
            "add": change.add if change is not None else "",
            "offered": offered_fields(rt, ui.tenant, form),
            "revision": form.revision if revision is None else revision,
            "problems": problems or [],
            "stale": stale,
            "locales": LOCALES,
        }
        return page(request, ui, "designer_form.html", ctx, status=status)

    @get(_BASE, sync_to_thread=True)
    def forms_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        forms, revision = form_files(rt, tenant)
        return page(request, ui, "designer_forms.html", {"forms": forms, "revision": revision})

    @get(f"{_BASE}/{{name:str}}", sync_to_thread=True)
    def form_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        return editor(request, ui, current(ui, name))

    @post(f"{_BASE}/{{name:str}}", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def save_page(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        found = current(ui, name)
        revision = _number(values.get("draft_version", ""), 0)
        change = change_of(values)
        again: dict[str, Any] = {"change": change, "revision": revision, "status": 422}
        try:
            save_form(rt, tenant, name, change, expected=revision, actor=ui.call.identity.email)
        except FormEditError as exc:
            return editor(request, ui, found, problems=[t.message(exc.message)], **again)
        except FormFileError as exc:
            return editor(request, ui, found, problems=[str(exc)], **again)
        except InvalidDraftError as exc:
            shown = [str(e["text"]) for e in exc.errors]
            return editor(request, ui, found, problems=shown, **again)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return editor(request, ui, found, stale=stale, **{**again, "status": 409})
        done = t.gettext("Public form saved in the draft.")
        return redirect(request, f"/t/{tenant}/admin/public-forms/{name}", flash=done)

    return [forms_page, form_page, save_page]


__all__ = ["change_of", "form_designer_routes"]
