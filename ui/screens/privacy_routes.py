"""The detail screen's "Export personal data" action (tenant admins).

``POST /t/{t}/e/{entity}/{id}/personal-data`` exports the person whose address the
record's first ``email`` field holds, as the API's ``POST …/_gdpr/export`` does
(docs/privacy.md): the zip is the answer; a record without an address comes back with
a message.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.type_names import FieldType
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.privacy import PrivacyService
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiServices, redirect, signed_in

Req = Request[Any, Any, Any]


def email_field(entity: CompiledEntity) -> str | None:
    """The first ``email`` field of ``entity`` (what names the person), or None."""
    return next((f.name for f in entity.entity.fields.values() if f.type == FieldType.EMAIL), None)


def privacy_routes(services: UiServices) -> list[Any]:
    """Route handlers of the personal-data export."""

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/personal-data",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def export_person(
        request: Req,
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        ui.call.access.require_admin("export a person's data")
        target = readable_entity(ui.call, entity)
        ident = parse_id(entity, record_id)
        record = services.records.read(ui.call, target, ident).record
        name = email_field(target)
        email = record.get(name) if name else None
        if not isinstance(email, str) or "@" not in email:
            text = ui.translator.gettext("This record holds no e-mail address to export.")
            return redirect(request, f"/t/{tenant}/e/{entity}/{ident}", flash=text)
        identity = ui.call.identity
        data = PrivacyService(services.runtime).export(
            tenant, email, identity.email, identity.user_id
        )
        return Response(
            content=data,
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="personal-data.zip"'},
        )

    return [export_person]


__all__ = ["email_field", "privacy_routes"]
