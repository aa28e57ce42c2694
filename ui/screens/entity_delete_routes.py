"""Delete an entity from the designer: ``GET|POST /t/{t}/admin/entities/{e}/delete``.

The page shows the deletion plan (the file, the table and its records, what the
publish and a rollback do) and every place that still names the entity; the form asks
for the entity's name typed as confirmation. A refusal shows the page again with the
reason: 422 while other metadata names the entity or the name typed is not the
entity's, 409 on a stale page. Admins only.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.designers.entity_delete import (
    DeleteNotConfirmedError,
    EntityInUseError,
    delete_entity,
    deletion_plan,
)
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect


def entity_delete_routes(services: UiServices) -> list[Any]:
    """Route handlers that delete an entity from the draft."""

    def show(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: str,
        *,
        revision: int | None = None,
        error: str | None = None,
        stale: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        try:
            plan = deletion_plan(services.runtime, ui.tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        ctx = {
            "plan": plan,
            "revision": plan.revision if revision is None else revision,
            "error": error,
            "stale": stale,
        }
        return page(request, ui, "designer_entity_delete.html", ctx, status=status)

    @get("/t/{tenant:str}/admin/entities/{entity:str}/delete", sync_to_thread=True)
    def delete_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        return show(request, ui, entity)

    @post(
        "/t/{tenant:str}/admin/entities/{entity:str}/delete",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def delete_posted(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        version = values.get("draft_version", "")
        revision = int(version) if version.isdigit() else 0
        try:
            delete_entity(
                services.runtime,
                tenant,
                entity,
                confirm=values.get("confirm", ""),
                expected=revision,
                actor=ui.call.identity.email,
            )
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such entity in the draft.")) from None
        except EntityInUseError as exc:
            error = t.gettext(
                "%(name)s cannot be deleted while other parts of the application name it "
                "(%(n)s listed below). Remove them first, then delete the entity.",
                name=entity,
                n=len(exc.usages),
            )
            return show(request, ui, entity, revision=revision, error=error, status=422)
        except DeleteNotConfirmedError:
            error = t.gettext(
                "Type the entity's name, %(name)s, exactly to confirm the deletion.", name=entity
            )
            return show(request, ui, entity, revision=revision, error=error, status=422)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return show(request, ui, entity, revision=revision, stale=stale, status=409)
        done = t.gettext(
            "Entity %(name)s deleted from the draft. Publish the draft to apply it.", name=entity
        )
        return redirect(request, f"/t/{tenant}/admin/entities", flash=done)

    return [delete_page, delete_posted]


__all__ = ["entity_delete_routes"]
