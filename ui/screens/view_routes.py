"""Saved views of the list screen: the views menu, saving the current query, deleting.

``GET /t/{t}/e/{entity}/_views`` renders the menu (the list page loads it with htmx);
``POST …/_views`` saves the posted list query (``q``, ``sort``, ``filter``, builder
rows) under ``name``, ``shared`` with the tenant or not; ``POST …/_views/{id}/delete``
deletes one of the caller's own views; ``POST …/_views/{id}/columns`` saves the posted
``col`` list (the column chooser's choice, in order) into one of the caller's own views.
A view whose filter does not compile is refused (422) with the compiler's message, so a
saved view always opens; so is a column the caller may not show.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import Translatable
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError, ValidationFailedError
from trellis.platform.services import ListArgs
from trellis.platform.services.caller import readable_entity
from trellis.platform.views import (
    SavedView,
    delete_view,
    list_views,
    save_view,
    set_view_columns,
)
from trellis.ui.screens.board_routes import error_text
from trellis.ui.screens.list_extras import choosable
from trellis.ui.screens.list_routes import list_routes
from trellis.ui.screens.list_view import ListQuery, combined_filter
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

VIEWS = "/t/{tenant:str}/e/{entity:str}/_views"


def view_routes(services: UiServices) -> list[Any]:
    """Route handlers of saved list views."""
    api = services.records
    engines = services.runtime.engines

    def context(
        request: Request[Any, Any, Any], tenant: str, name: str
    ) -> tuple[UiCall, CompiledEntity]:
        ui = signed_in(services, request, tenant)
        return ui, readable_entity(ui.call, name)

    def views_of(ui: UiCall, entity: CompiledEntity) -> list[SavedView]:
        with engines.tenant_connection(ui.tenant) as conn:
            return list_views(conn, ui.call.app, entity.name, ui.call.identity.user_id)

    def menu(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: CompiledEntity,
        *,
        message: str | None = None,
        errors: dict[str, list[str]] | None = None,
        name: str = "",
        status: int = 200,
    ) -> Response[Any]:
        names = services.members.names(ui.tenant)
        current = request.query_params.get("view", "")
        ctx = {
            "entity": entity.entity,
            "current": int(current) if current.isdigit() else None,
            "views": views_of(ui, entity),
            "owner_names": names,
            "message": message,
            "errors": errors or {},
            "name": name,
        }
        return page(request, ui, "_views_menu.html", ctx, status=status)

    def check_query(ui: UiCall, entity: CompiledEntity, query: ListQuery) -> None:
        """422 when the query's filter does not compile for this caller."""
        expression = combined_filter(entity, query)
        params = {"limit": "1", **({"filter": expression} if expression else {})}
        if query.sort:
            params["sort"] = query.sort
        try:
            api.page(ui.call, entity, ListArgs.of(params))
        except RecordError as exc:
            reason = error_text(exc, ui.translator)
            raise ValidationFailedError(
                {"query": [Translatable("This view cannot be saved: %(reason)s", reason=reason)]}
            ) from None

    @get(VIEWS, sync_to_thread=True)
    def views_menu(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui, target = context(request, tenant, entity)
        return menu(request, ui, target)

    @post(VIEWS, status_code=200, sync_to_thread=True, dependencies=POSTED_FORM)
    def save(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target = context(request, tenant, entity)
        multi = {key: [str(v) for v in form.getall(key)] for key in form}
        single = {key: values[-1] for key, values in multi.items()}
        parsed = ListQuery.from_params(single, multi)
        # Builder rows without a field are the form's blank row: not part of the view.
        query = replace(parsed, rows=tuple(row for row in parsed.rows if row[0]), view="")
        stored = query.params()
        name = single.get("name", "")
        shared = single.get("shared", "") in ("1", "on", "true", "yes")
        try:
            check_query(ui, target, query)
            with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                view = save_view(
                    conn,
                    ui.call.app,
                    entity=target.name,
                    user_id=ui.call.identity.user_id,
                    name=name,
                    query=stored,
                    shared=shared,
                    now=services.runtime.clock.now(),
                )
        except RecordError as exc:
            if not is_htmx(request):
                return redirect(
                    request,
                    f"/t/{tenant}/e/{entity}?{stored}",
                    flash=ui.translator.gettext(
                        "Not saved: %(reason)s", reason=error_text(exc, ui.translator)
                    ),
                )
            errors = exc.body()["errors"]
            return menu(request, ui, target, errors=errors, name=name, status=exc.status)
        done = (
            ui.translator.gettext("View “%(name)s” saved and shared.", name=view.name)
            if view.shared
            else ui.translator.gettext("View “%(name)s” saved.", name=view.name)
        )
        if not is_htmx(request):
            return redirect(request, f"/t/{tenant}/e/{entity}?{stored}", flash=done)
        return menu(request, ui, target, message=done)

    @post(f"{VIEWS}/{{view_id:int}}/delete", status_code=200, sync_to_thread=True)
    def delete(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        view_id: FromPath[int],
    ) -> Response[Any]:
        ui, target = context(request, tenant, entity)
        with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            view = delete_view(conn, ui.call.app, target.name, view_id, ui.call.identity.user_id)
        done = ui.translator.gettext("View “%(name)s” deleted.", name=view.name)
        if not is_htmx(request):
            return redirect(request, f"/t/{tenant}/e/{entity}", flash=done)
        return menu(request, ui, target, message=done)

    @post(
        f"{VIEWS}/{{view_id:int}}/columns",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def save_columns(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        view_id: FromPath[int],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target = context(request, tenant, entity)
        columns = list(dict.fromkeys(str(v) for v in form.getall("col", []) if v))
        allowed = set(choosable(ui, target))
        unknown = [c for c in columns if c not in allowed]
        t = ui.translator
        if unknown:
            text = t.gettext("Unknown column: %(names)s.", names=", ".join(unknown))
            if not is_htmx(request):
                raise ValidationFailedError({"col": [text]})
            return page(request, ui, "_column_status.html", {"error": text}, status=422)
        with engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            view = set_view_columns(
                conn,
                ui.call.app,
                entity=target.name,
                view_id=view_id,
                user_id=ui.call.identity.user_id,
                columns=columns,
                now=services.runtime.clock.now(),
            )
        done = t.gettext("Columns saved in the view “%(name)s”.", name=view.name)
        if not is_htmx(request):
            where = f"/t/{tenant}/e/{entity}?{view.query}&view={view.id}"
            return redirect(request, where.replace("?&", "?"), flash=done)
        return page(request, ui, "_column_status.html", {"message": done})

    return [views_menu, save, delete, save_columns, *list_routes(services)]


__all__ = ["view_routes"]
