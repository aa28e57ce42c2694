"""Add an entity from the entities designer: ``POST /t/{t}/admin/entities`` (admins only).

The form on the entities page names the entity, its labels and its title field; the
new ``entities/<name>.yaml`` goes into the draft at the revision the page was read at.
A refusal shows the entities page again with the typed values and the reason (the
CLI's positioned errors when the package would not validate); a stale page gets 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.designers import entity_rows
from trellis.platform.designers.new_entity import (
    EntityExistsError,
    EntityNameError,
    NewEntity,
    add_entity,
)
from trellis.platform.drafts import DraftConflictError, InvalidDraftError
from trellis.platform.i18n import Translator
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect


def _name_error(t: Translator, exc: EntityNameError, name: str) -> str:
    if exc.reserved:
        return t.gettext(
            "%(name)s is reserved: the platform uses it as a word of the rule language "
            "or in its addresses. Choose another name.",
            name=name,
        )
    return t.gettext(
        "%(name)s is not a valid entity name: lower case letters, digits and _, "
        "starting with a letter, at most 40 characters.",
        name=name,
    )


def new_entity_routes(services: UiServices) -> list[Any]:
    """Route handlers that add an entity to the draft."""

    def again(
        request: Request[Any, Any, Any],
        ui: UiCall,
        values: Mapping[str, str],
        revision: int,
        *,
        errors: Mapping[str, list[str]] | None = None,
        general: list[str] | None = None,
        stale: str | None = None,
        status: int = 422,
    ) -> Response[Any]:
        rows, _current = entity_rows(services.runtime, ui.tenant)
        ctx = {
            "rows": rows,
            "revision": revision,
            "new_values": values,
            "new_errors": errors or {},
            "new_general": general or [],
            "new_stale": stale,
        }
        return page(request, ui, "designer_entities.html", ctx, status=status)

    @post(
        "/t/{tenant:str}/admin/entities",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def create_entity(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = {k: v.strip() for k, v in form_dict(form).items()}
        version = values.get("draft_version", "")
        revision = int(version) if version.isdigit() else 0
        name = values.get("name", "")
        errors: dict[str, list[str]] = {}
        if not name:
            errors["name"] = [t.gettext("Give the entity a name.")]
        if not values.get("label_en"):
            errors["label"] = [t.gettext("Give the entity a label in English.")]
        if errors:
            return again(request, ui, values, revision, errors=errors)
        new = NewEntity(
            name=name,
            label_en=values["label_en"],
            label_es=values.get("label_es", ""),
            title=values.get("title_field") or "name",
            title_en=values.get("title_label_en", ""),
            title_es=values.get("title_label_es", ""),
        )
        try:
            add_entity(
                services.runtime, tenant, new, expected=revision, actor=ui.call.identity.email
            )
        except EntityNameError as exc:
            return again(
                request, ui, values, revision, errors={"name": [_name_error(t, exc, name)]}
            )
        except EntityExistsError:
            taken = t.gettext("The application already has an entity named %(name)s.", name=name)
            return again(request, ui, values, revision, errors={"name": [taken]})
        except InvalidDraftError as exc:
            general = [str(e["text"]) for e in exc.errors]
            return again(request, ui, values, revision, general=general)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return again(request, ui, values, revision, stale=stale, status=409)
        done = t.gettext("Entity %(name)s added to the draft.", name=name)
        return redirect(request, f"/t/{tenant}/admin/entities/{name}", flash=done)

    return [create_entity]


__all__ = ["new_entity_routes"]
