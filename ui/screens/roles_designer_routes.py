"""The roles designer: ``/t/{t}/admin/roles`` (tenant admins only).

The overview is the matrix of roles by entities (each cell: the actions and the record
scope); a role's page edits its row of the matrix with native checkboxes and selects
(actions, scope, condition, field access) and saves through ``PUT _roles``'s path: the
change is published at once, errors are shown on the entity row they are about and
nothing changes, and a page read before another admin's save gets 409. A role is
renamed (its members and the workflows naming it follow) or deleted (refused while
anyone holds it) from its page the same way. "View as this role" shows what a
member holding only that role may read, do and see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model import ACTIONS, SCOPES
from trellis.platform.designers.role_names import (
    RoleInUseError,
    RoleNameError,
    delete_role,
    rename_role,
)
from trellis.platform.designers.roles_service import (
    RoleExistsError,
    RoleNotFoundError,
    RoleSaveError,
    create_role,
    overview,
    preview,
    role_rows,
    roles_state,
    save_role,
)
from trellis.platform.designers.roles_yaml import RolesFileError
from trellis.platform.drafts import DraftStore
from trellis.platform.records.errors import ConflictError, NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect

ROLE_PATTERN = "[a-z][a-z0-9_\\-]{0,39}"


def _version(values: Mapping[str, str]) -> int:
    text = values.get("version", "").strip()
    return int(text) if text.isdigit() else 0


def roles_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the roles designer."""
    runtime = services.runtime

    def draft_changes_roles(ui: UiCall) -> bool:
        draft = DraftStore(runtime.registry).load(runtime.tenant(ui.tenant, fresh=True).id)
        return "roles.yaml" in draft.files

    def show_overview(
        request: Request[Any, Any, Any],
        ui: UiCall,
        *,
        errors: list[str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        state = roles_state(runtime, ui.tenant)
        ctx = {
            "state": state,
            "rows": overview(state),
            "errors": errors or [],
            "role_pattern": ROLE_PATTERN,
            "draft_roles": draft_changes_roles(ui),
        }
        return page(request, ui, "designer_roles.html", ctx, status=status)

    def show_role(
        request: Request[Any, Any, Any],
        ui: UiCall,
        role: str,
        *,
        by_entity: Mapping[str, list[str]] | None = None,
        general: list[str] | None = None,
        stale: str | None = None,
        form: Mapping[str, str] | None = None,
        status: int = 200,
        new_name: str | None = None,
    ) -> Response[Any]:
        state = roles_state(runtime, ui.tenant)
        try:
            rows = role_rows(state, role)
        except RoleNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such role.")) from None
        ctx = {
            "role": role,
            "definition": state.roles[role],
            "rows": rows,
            "version": _version(form) if form else state.version,
            "form": form,
            "actions": ACTIONS,
            "scopes": SCOPES,
            "by_entity": by_entity or {},
            "general": general or [],
            "stale": stale,
            "draft_roles": draft_changes_roles(ui),
            "role_pattern": ROLE_PATTERN,
            "new_name": role if new_name is None else new_name,
        }
        return page(request, ui, "designer_role.html", ctx, status=status)

    @get("/t/{tenant:str}/admin/roles", sync_to_thread=True)
    def roles_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        return show_overview(request, admin_call(services, request, tenant))

    @post(
        "/t/{tenant:str}/admin/roles",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def new_role(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        name = values.get("name", "").strip()
        if not name:
            missing = [t.gettext("Give the role a name.")]
            return show_overview(request, ui, errors=missing, status=422)
        label = values.get("label", "").strip()
        actor = ui.call.identity.email
        try:
            create_role(runtime, tenant, name, label, _version(values), actor)
        except RoleExistsError:
            taken = t.gettext("A role named %(name)s already exists.", name=name)
            return show_overview(request, ui, errors=[taken], status=422)
        except (RoleSaveError, RolesFileError) as exc:
            return show_overview(request, ui, errors=[str(exc)], status=422)
        except ConflictError:
            return show_overview(request, ui, errors=[_stale_text(ui)], status=409)
        done = t.gettext("Role %(name)s created; it has no access yet.", name=name)
        return redirect(request, f"/t/{tenant}/admin/roles/{name}", flash=done)

    @get("/t/{tenant:str}/admin/roles/{role:str}", sync_to_thread=True)
    def role_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], role: FromPath[str]
    ) -> Response[Any]:
        return show_role(request, admin_call(services, request, tenant), role)

    @post(
        "/t/{tenant:str}/admin/roles/{role:str}",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def change_role(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        role: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        actor = ui.call.identity.email
        try:
            answer = save_role(runtime, tenant, role, values, _version(values), actor)
        except RoleNotFoundError:
            raise NotFoundError(t.gettext("No such role.")) from None
        except RolesFileError as exc:
            return show_role(request, ui, role, general=[str(exc)], form=values, status=422)
        except RoleSaveError as exc:
            return show_role(
                request,
                ui,
                role,
                by_entity=exc.by_entity,
                general=exc.general,
                form=values,
                status=422,
            )
        except ConflictError:
            return show_role(request, ui, role, stale=_stale_text(ui), status=409)
        if answer.get("unchanged"):
            done = t.gettext("Nothing to save: the role is unchanged.")
        else:
            done = t.gettext(
                "Role %(name)s saved and in effect (version %(n)s).", name=role, n=answer["version"]
            )
        return redirect(request, f"/t/{tenant}/admin/roles/{role}", flash=done)

    @get("/t/{tenant:str}/admin/roles/{role:str}/preview", sync_to_thread=True)
    def role_preview(
        request: Request[Any, Any, Any], tenant: FromPath[str], role: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        try:
            shown = preview(runtime, tenant, role)
        except RoleNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such role.")) from None
        label = ui.call.app.model.roles[role].label
        ctx = {"role": role, "label": label, "entities": shown}
        return page(request, ui, "designer_role_preview.html", ctx)

    def refused(
        request: Request[Any, Any, Any], ui: UiCall, role: str, exc: Exception, new_name: str
    ) -> Response[Any]:
        """The role's page again with why a rename or delete was refused (nothing changed)."""
        t = ui.translator
        if isinstance(exc, RoleNotFoundError):
            raise NotFoundError(t.gettext("No such role.")) from None
        if isinstance(exc, ConflictError):
            return show_role(request, ui, role, stale=_stale_text(ui), status=409)
        if isinstance(exc, RoleNameError):
            shown, status = (
                [t.message(exc.message)],
                409 if isinstance(exc, RoleInUseError) else 422,
            )
        elif isinstance(exc, RoleSaveError):
            shown, status = [*exc.general, *(e for v in exc.by_entity.values() for e in v)], 422
        else:
            shown, status = [str(exc)], 422
        if role not in roles_state(runtime, ui.tenant).roles:
            return show_overview(request, ui, errors=shown, status=status)
        return show_role(request, ui, role, general=shown, status=status, new_name=new_name)

    @post(
        "/t/{tenant:str}/admin/roles/{role:str}/rename",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def rename(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        role: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        name = values.get("name", "").strip()
        actor = ui.call.identity.email
        try:
            answer = rename_role(runtime, tenant, role, name, _version(values), actor)
        except (
            RoleNameError,
            RoleNotFoundError,
            RoleSaveError,
            RolesFileError,
            ConflictError,
        ) as exc:
            return refused(request, ui, role, exc, name)
        done = ui.translator.gettext(
            "Role %(old)s renamed to %(new)s; %(n)s members moved with it (version %(v)s).",
            old=role,
            new=name,
            n=answer["members"],
            v=answer["version"],
        )
        return redirect(request, f"/t/{tenant}/admin/roles/{name}", flash=done)

    @post(
        "/t/{tenant:str}/admin/roles/{role:str}/delete",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def delete(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        role: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        actor = ui.call.identity.email
        try:
            answer = delete_role(runtime, tenant, role, _version(values), actor)
        except (
            RoleNameError,
            RoleNotFoundError,
            RoleSaveError,
            RolesFileError,
            ConflictError,
        ) as exc:
            return refused(request, ui, role, exc, role)
        done = ui.translator.gettext(
            "Role %(name)s deleted (version %(v)s).", name=role, v=answer["version"]
        )
        return redirect(request, f"/t/{tenant}/admin/roles", flash=done)

    return [roles_page, new_role, role_page, change_role, role_preview, rename, delete]


def _stale_text(ui: UiCall) -> str:
    return ui.translator.gettext(
        "Another admin changed the roles since you opened this page. Nothing was "
        "changed: the page now shows the roles as they are; make your change again."
    )


__all__ = ["roles_designer_routes"]
