"""The detail screen's "Erase personal data…" action (tenant admins).

``GET /t/{t}/e/{entity}/{id}/erase`` previews the erasure of the person whose address
the record's first ``email`` field holds (a dry run: records, fields, files; nothing is
written, the dry run is audited as the API's is); ``POST`` erases them when the admin
typed that address again, as ``POST …/_gdpr/erase`` does (docs/privacy.md).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.privacy import PrivacyService
from trellis.ui.screens.layouts import title_field
from trellis.ui.screens.privacy_routes import email_field
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiServices, page, redirect, signed_in

Req = Request[Any, Any, Any]


def erase_routes(services: UiServices) -> list[Any]:
    """Route handlers of the erasure preview and confirmation."""

    def _person(request: Req, tenant: str, entity: str, record_id: str) -> Any:
        ui = signed_in(services, request, tenant)
        ui.call.access.require_admin("erase a person's data")
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        record = services.records.read(ui.call, target, ident).record
        name = email_field(target)
        email = record.get(name) if name else None
        title = title_field(target.entity)
        shown = str(record.get(title) or f"#{ident}") if title else f"#{ident}"
        return ui, target, ident, email if isinstance(email, str) and "@" in email else None, shown

    def _preview(request: Req, tenant: str, entity: str, record_id: str, error: str | None) -> Any:
        ui, target, ident, email, shown = _person(request, tenant, entity, record_id)
        back = f"/t/{tenant}/e/{entity}/{ident}"
        if email is None:
            text = ui.translator.gettext("This record holds no e-mail address to erase.")
            return redirect(request, back, flash=text)
        identity = ui.call.identity
        try:
            plan = PrivacyService(services.runtime).erase(
                tenant, email, True, identity.email, identity.user_id
            )
        except RecordError as exc:
            return redirect(request, back, flash=ui.translator.message(exc.message))
        ctx = {
            "entity": target.entity,
            "record": {"id": ident},
            "title": shown,
            "email": email,
            "plan": plan.as_json(),
            "error": error,
        }
        return page(request, ui, "erase.html", ctx, status=422 if error else 200)

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/erase", sync_to_thread=True)
    def erase_form(
        request: Req, tenant: FromPath[str], entity: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        return _preview(request, tenant, entity, record_id, None)  # type: ignore[no-any-return]

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/erase",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def erase_post(
        request: Req,
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, _target, ident, email, _shown = _person(request, tenant, entity, record_id)
        typed = str(form.get("confirm") or "").strip()
        if email is None or typed.casefold() != email.strip().casefold():
            error = ui.translator.gettext(
                "Type the address exactly as shown to confirm; nothing was erased."
            )
            return _preview(request, tenant, entity, record_id, error)  # type: ignore[no-any-return]
        identity = ui.call.identity
        done = PrivacyService(services.runtime).erase(
            tenant, email, False, identity.email, identity.user_id
        )
        text = ui.translator.gettext(
            "Personal data erased: %(records)s records, %(fields)s fields, %(files)s files.",
            records=len(done.records),
            fields=done.fields,
            files=done.files,
        )
        return redirect(request, f"/t/{tenant}/e/{entity}/{ident}", flash=text)

    return [erase_form, erase_post]


__all__ = ["erase_routes"]
