"""The entities and fields designer: ``/t/{t}/admin/entities/…`` (tenant admins only).

Lists the draft's entities, shows an entity's fields with a form preview, and edits
one field (every type and its options) with a live preview. A save goes to the
tenant's draft through platform/designers at the draft revision the page was read
at: errors come back placed as the CLI prints them (inline on the option they are
about), and a stale page answers 409 with the typed values kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.badges import BADGE_COLOURS
from trellis.platform.designers import (
    TYPES,
    EntityFileError,
    FieldExistsError,
    definition_from_form,
    entity_file,
    entity_rows,
    field_usage,
    form_values,
    options_for,
    save_field,
)
from trellis.platform.designers.conversion_preview import (
    ConversionRefusedError,
    check_conversion,
    field_conversion,
)
from trellis.platform.drafts import (
    DraftConflictError,
    DraftFileNotFoundError,
    InvalidDraftError,
    Rename,
    RenameTargetError,
    rename_in_draft,
)
from trellis.platform.records.errors import ForbiddenError, NotFoundError
from trellis.ui.screens.designer_fields import enum_options, placed_errors, preview_field
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

NAME_PATTERN = "[a-z][a-z0-9_]{0,62}"


def admin_call(services: UiServices, request: Request[Any, Any, Any], tenant: str) -> UiCall:
    """The signed-in tenant admin.

    Raises:
        ForbiddenError: the member is not a tenant admin.
    """
    ui = signed_in(services, request, tenant)
    if not ui.call.access.admin:
        raise ForbiddenError(
            ui.translator.gettext("Only tenant admins may change the application.")
        )
    return ui


def form_dict(form: Mapping[str, Any]) -> dict[str, str]:
    """A posted form as plain text values."""
    return {str(k): str(v) for k, v in form.items()}


def designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the entities and fields designer."""

    def editor(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: str,
        *,
        name: str | None,
        values: dict[str, str],
        revision: int | None,
        errors: Mapping[str, list[str]] | None = None,
        general: list[str] | None = None,
        status: int = 200,
        stale: str | None = None,
    ) -> Response[Any]:
        try:
            file = entity_file(services.runtime, ui.tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        field_type = values.get("type") or "string"
        if field_type not in TYPES:
            field_type = "string"
        previous = file.fields.get(name or "", {})
        definition = definition_from_form({**values, "type": field_type}, previous)
        ctx = {
            "entity": file,
            "field_name": name,
            "new": name is None,
            "values": values,
            "field_type": field_type,
            "types": TYPES,
            "options": options_for(field_type),
            "entity_names": sorted(ui.call.app.model.entities),
            "revision": file.revision if revision is None else revision,
            "errors": errors or {},
            "general": general or [],
            "stale": stale,
            "name_pattern": NAME_PATTERN,
            "preview": preview_field(name or values.get("name") or "new_field", definition),
            "enum_options": enum_options(definition),
            "colours": BADGE_COLOURS,
            "conversion": name
            and field_conversion(services.runtime, ui.tenant, entity, name, definition),
        }
        template = "_designer_field_editor.html" if is_htmx(request) else "designer_field.html"
        return page(request, ui, template, ctx, status=status)

    @get("/t/{tenant:str}/admin/entities", sync_to_thread=True)
    def entities_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        rows, revision = entity_rows(services.runtime, tenant)
        return page(request, ui, "designer_entities.html", {"rows": rows, "revision": revision})

    @get("/t/{tenant:str}/admin/entities/{entity:str}", sync_to_thread=True)
    def entity_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        try:
            file = entity_file(services.runtime, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        previews = [preview_field(n, d) for n, d in file.fields.items()]
        return page(request, ui, "designer_entity.html", {"entity": file, "previews": previews})

    @get("/t/{tenant:str}/admin/entities/{entity:str}/new-field", sync_to_thread=True)
    def new_field_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        kind = request.query_params.get("type") or "string"
        return editor(request, ui, entity, name=None, values={"type": kind}, revision=None)

    @get("/t/{tenant:str}/admin/entities/{entity:str}/fields/{name:str}", sync_to_thread=True)
    def field_page(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        name: FromPath[str],
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        try:
            file = entity_file(services.runtime, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        if name not in file.fields:
            raise NotFoundError(ui.translator.gettext("No such field in the draft."))
        values = form_values(file.fields[name])
        return editor(request, ui, entity, name=name, values=values, revision=file.revision)

    @get("/t/{tenant:str}/admin/entities/{entity:str}/fields/{name:str}/usage", sync_to_thread=True)
    def usage_fragment(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        name: FromPath[str],
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        found = field_usage(services.runtime, tenant, entity, name)
        return page(request, ui, "_designer_usage.html", {"usage": found, "field_name": name})

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/field-form",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def refresh_editor(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        name = values.get("original") or None
        revision = int(values.get("draft_version") or 0)
        return editor(request, ui, entity, name=name, values=values, revision=revision)

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/field-preview",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def preview_fragment(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        name = values.get("original") or values.get("name") or "new_field"
        definition = definition_from_form(values)
        ctx = {"preview": preview_field(name, definition)}
        return page(request, ui, "_designer_preview.html", ctx)

    def save(
        request: Request[Any, Any, Any], tenant: str, entity: str, form: PostedForm, original: str
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        new = not original
        name = values.get("name", "").strip() if new else original
        version = values.get("draft_version", "")
        revision = int(version) if version.isdigit() else 0
        again: dict[str, Any] = {
            "name": None if new else original,
            "values": values,
            "revision": revision,
        }
        if new and not name:
            missing = {"name": [t.gettext("Give the field a name.")]}
            return editor(request, ui, entity, **again, errors=missing, status=422)
        try:
            file = entity_file(services.runtime, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such entity in the draft.")) from None
        definition = definition_from_form(values, file.fields.get(name))
        try:
            if not new:
                confirm = values.get("confirm_conversion", "")
                check_conversion(
                    services.runtime, tenant, entity, name, definition, confirm=confirm
                )
            save_field(
                services.runtime,
                tenant,
                entity,
                name,
                definition,
                expected=revision,
                actor=ui.call.identity.email,
                new=new,
                show=values.get("show_on_layouts") == "on",
            )
        except ConversionRefusedError as exc:
            typed = t.gettext("Type %(name)s to confirm the type change.", name=entity)
            failed = t.gettext(
                "Stored values that do not convert to %(type)s: %(n)s of %(total)s. "
                "Correct or empty them first (listed below).",
                n=exc.preview.failed,
                total=exc.preview.values,
                type=exc.preview.new_type,
            )
            problem = {"conversion": [typed]} if not exc.confirmed else {"type": [failed]}
            return editor(request, ui, entity, **again, errors=problem, status=422)
        except FieldExistsError:
            taken = t.gettext("This entity already has a field named %(name)s.", name=name)
            return editor(request, ui, entity, **again, errors={"name": [taken]}, status=422)
        except EntityFileError as exc:
            return editor(request, ui, entity, **again, general=[str(exc)], status=422)
        except InvalidDraftError as exc:
            inline, general = placed_errors(exc.errors, file.path, file.text, name, definition)
            return editor(request, ui, entity, **again, errors=inline, general=general, status=422)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return editor(request, ui, entity, **again, status=409, stale=stale)
        done = t.gettext("Field %(name)s saved in the draft.", name=name)
        return redirect(request, f"/t/{tenant}/admin/entities/{entity}", flash=done)

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/fields",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def create_field(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        return save(request, tenant, entity, form, "")

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/fields/{name:str}",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def update_field(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        return save(request, tenant, entity, form, name)

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/fields/{name:str}/rename",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def rename_field(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        new = values.get("to", "").strip()
        version = values.get("draft_version", "")
        revision = int(version) if version.isdigit() else 0
        try:
            file = entity_file(services.runtime, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such entity in the draft.")) from None
        again: dict[str, Any] = {
            "name": name,
            "values": form_values(file.fields.get(name, {})),
            "revision": revision,
        }
        if not new:
            missing = {"rename": [t.gettext("Give the field a name.")]}
            return editor(request, ui, entity, **again, errors=missing, status=422)
        try:
            answer = rename_in_draft(
                services.runtime,
                tenant,
                Rename("field", entity, name, new),
                expected=revision,
                actor=ui.call.identity.email,
            )
        except RenameTargetError:
            raise NotFoundError(t.gettext("No such field in the draft.")) from None
        except InvalidDraftError as exc:
            placed = {"rename": [str(e["text"]) for e in exc.errors]}
            return editor(request, ui, entity, **again, errors=placed, status=422)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return editor(request, ui, entity, **again, status=409, stale=stale)
        done = t.gettext(
            "Field %(old)s renamed to %(new)s in the draft (files rewritten: %(n)s).",
            old=name,
            new=new,
            n=len(answer["files"]),
        )
        return redirect(request, f"/t/{tenant}/admin/entities/{entity}/fields/{new}", flash=done)

    return [
        rename_field,
        entities_page,
        entity_page,
        new_field_page,
        field_page,
        usage_fragment,
        refresh_editor,
        preview_fragment,
        create_field,
        update_field,
    ]


__all__ = ["admin_call", "designer_routes", "form_dict", "preview_field"]
