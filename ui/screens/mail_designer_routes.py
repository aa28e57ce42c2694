"""The e-mail template designer: ``/t/{t}/admin/email-templates`` (tenant admins only).

Lists the app's e-mail templates; one template's page edits the subject, text and
HTML blocks of its English or Spanish file and previews them rendered about a record
chosen by number (live through htmx, or with the *Preview* button). A save is checked
with the mailer's sandbox and stored in the draft at the revision the page was read at.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.designers.mail_preview import preview_template, sending_rule
from trellis.platform.designers.mail_service import (
    LOCALES,
    TemplateCheckError,
    TemplateText,
    edited_source,
    save_template,
    template_rows,
    template_text,
)
from trellis.platform.designers.service import draft_state
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    is_htmx,
    page,
    redirect,
)

_BASE = "/t/{tenant:str}/admin/email-templates"


def _locale(value: str | None) -> str:
    return value if value in LOCALES else "en"


def mail_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the e-mail template designer."""
    rt = services.runtime

    def current(ui: UiCall, name: str, locale: str) -> TemplateText:
        try:
            return template_text(rt, ui.tenant, name, locale)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such e-mail template.")) from None

    def preview_ctx(ui: UiCall, found: TemplateText, values: dict[str, str]) -> dict[str, Any]:
        """The preview of the typed blocks about the chosen record (nothing without one)."""
        state, draft = draft_state(rt, ui.tenant)
        sender = sending_rule(draft_files(state, draft), found.name)
        entity = values.get("entity") or (sender[0] if sender else "")
        raw = values.get("record", "").strip().lstrip("#")
        ctx: dict[str, Any] = {"entity": entity, "record": raw, "preview": None, "bad": ""}
        if not raw:
            return ctx
        if not raw.isdigit() or len(raw) > 18:
            ctx["bad"] = ui.translator.gettext("Type the number of a record, e.g. 12.")
            return ctx
        blocks = {b: values.get(b, "") for b in ("subject", "text", "html")}
        source = edited_source(found.source, blocks)
        rule = sender[1] if sender and sender[0] == entity else None
        ctx["preview"] = preview_template(
            rt, ui.tenant, found.path, found.name, source, (entity, int(raw)), rule
        )
        return ctx

    def editor(
        request: Request[Any, Any, Any],
        ui: UiCall,
        found: TemplateText,
        values: dict[str, str],
        *,
        revision: int,
        problems: list[str] | None = None,
        stale: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        ctx = {
            "template": found,
            "values": values,
            "revision": revision,
            "problems": problems or [],
            "stale": stale,
            "locales": LOCALES,
            "entities": sorted(ui.call.app.model.entities),
            **preview_ctx(ui, found, values),
        }
        return page(request, ui, "designer_mail.html", ctx, status=status)

    @get(_BASE, sync_to_thread=True)
    def templates_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        rows, revision = template_rows(rt, tenant)
        ctx = {"templates": rows, "revision": revision}
        return page(request, ui, "designer_mails.html", ctx)

    @get(f"{_BASE}/{{name:str}}", sync_to_thread=True)
    def template_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        found = current(ui, name, _locale(request.query_params.get("locale")))
        values = {**found.blocks, "locale": found.locale}
        values["record"] = request.query_params.get("record", "")
        values["entity"] = request.query_params.get("entity", "")
        return editor(request, ui, found, values, revision=found.revision)

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
        found = current(ui, name, _locale(values.get("locale")))
        text = values.get("draft_version", "").strip()
        revision = int(text) if text.isdigit() else 0
        blocks = {b: values.get(b, "") for b in ("subject", "text", "html")}
        try:
            save_template(
                rt,
                tenant,
                name,
                found.locale,
                blocks,
                expected=revision,
                actor=ui.call.identity.email,
            )
        except TemplateCheckError as exc:
            shown = [p.text for p in exc.problems]
            return editor(request, ui, found, values, revision=revision, problems=shown, status=422)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return editor(request, ui, found, values, revision=revision, stale=stale, status=409)
        done = t.gettext("E-mail template saved in the draft.")
        url = f"/t/{tenant}/admin/email-templates/{name}?locale={found.locale}"
        return redirect(request, url, flash=done)

    @post(
        f"{_BASE}/{{name:str}}/preview",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def preview_page(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        found = current(ui, name, _locale(values.get("locale")))
        text = values.get("draft_version", "").strip()
        revision = int(text) if text.isdigit() else found.revision
        if not is_htmx(request):
            return editor(request, ui, found, values, revision=revision)
        return page(request, ui, "_mail_preview.html", preview_ctx(ui, found, values))

    return [templates_page, template_page, save_page, preview_page]


__all__ = ["mail_designer_routes"]
