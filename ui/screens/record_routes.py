"""Record screens: home, list, detail, create/edit forms, delete, bulk actions, lookups."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.duplicates.errors import DuplicatesFoundError
from trellis.platform.public.chat import LiveChat
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import ConflictError, RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.records.views import JSON, encode
from trellis.platform.services import ListArgs
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.activity_routes import activity_context
from trellis.ui.screens.badges import sla_badges
from trellis.ui.screens.bulk_actions import apply_bulk_action
from trellis.ui.screens.chat_routes import chat_context
from trellis.ui.screens.forms import search_expression
from trellis.ui.screens.home_view import HomeBuilder
from trellis.ui.screens.import_choices import modes_of
from trellis.ui.screens.layouts import Screens, editable, screens_of, title_field
from trellis.ui.screens.line_forms import detail_tables
from trellis.ui.screens.list_view import ListQuery, build_list, builder_choices
from trellis.ui.screens.present import label_of, shown_columns
from trellis.ui.screens.privacy_routes import email_field
from trellis.ui.screens.record_form import RecordForms, posted_multi, without_blank_defaults
from trellis.ui.screens.record_header import build_header, inline_fields
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

LOOKUP_LIMIT = 10


def _multi(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params}


def record_routes(services: UiServices) -> list[Any]:
    """Route handlers of the generic record screens."""
    api = services.records
    live_chat = LiveChat(services.runtime, services.app)

    def context(
        request: Request[Any, Any, Any], tenant: str, name: str
    ) -> tuple[UiCall, CompiledEntity, Screens]:
        ui = signed_in(services, request, tenant)
        entity = readable_entity(ui.call, name)
        return ui, entity, screens_of(ui.call, entity)

    forms = RecordForms(services)
    presenter = forms.presenter
    form_page = forms.render

    @get("/t/{tenant:str}/", sync_to_thread=True)
    def home(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        panels = HomeBuilder(services, ui, presenter(ui)).build()
        return page(request, ui, "home.html", {"panels": panels})

    @get("/t/{tenant:str}/e/{entity:str}", sync_to_thread=True)
    def list_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        query = ListQuery.from_params(request.query_params, _multi(request))
        view = build_list(ui, target, screens, query, presenter(ui), runtime=services.runtime)
        ctx = {
            "entity": target.entity,
            "view": view,
            "query": query,
            "builder": builder_choices(target, ui),
            "can_create": ui.call.access.can(entity, "create"),
            "can_delete": ui.call.access.can(entity, "delete"),
            "can_update": ui.call.access.can(entity, "update"),
            "can_import": ui.call.access.can(entity, "import") and bool(modes_of(ui, entity)),
            "bulk_fields": [
                (n, label_of(target.entity, n))
                for n, f in target.entity.fields.items()
                if editable(f)
                and n not in ui.call.access.entity(entity).hidden
                and n not in ui.call.access.entity(entity).read_only
            ],
            "kanban": screens.kanban_field is not None,
        }
        part = request.query_params.get("part")
        if is_htmx(request) and part in ("rows", "results"):
            response = page(request, ui, f"_list_{part}.html", ctx)
            if part == "results":  # the list's state is in the address bar: bookmark, Back
                shown = query.params(sort=query.sort)
                response.headers["HX-Push-Url"] = request.url.path + (f"?{shown}" if shown else "")
            return response
        return page(request, ui, "list.html", ctx)

    @get("/t/{tenant:str}/e/{entity:str}/new", sync_to_thread=True)
    def new_form(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        ui.call.access.require(entity, "create")
        record: dict[str, Any] = dict.fromkeys(target.entity.fields)
        record.update(forms.defaults(ui, target))
        for key, value in request.query_params.items():  # add-related buttons pre-fill
            if key in target.entity.fields and value.isdigit():
                record[key] = int(value)
        return form_page(request, ui, target, screens, record)

    @post("/t/{tenant:str}/e/{entity:str}", sync_to_thread=True, dependencies=POSTED_FORM)
    def create(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        posted, _, data = forms.posted(form, ui, target, screens)
        try:
            allow = bool(posted.get("_allow_duplicate"))
            result = api.create(
                ui.call, target, without_blank_defaults(target, data), allow_duplicate=allow
            )
        except RecordError as exc:
            record, body = {**dict.fromkeys(target.entity.fields), **data}, exc.body()
            kw = {"errors": body["errors"], "duplicates": body.get("duplicates")}
            return form_page(request, ui, target, screens, record, status=exc.status, **kw)
        created = result.record
        done = ui.translator.gettext("%(label)s created.", label=target.entity.label)
        return redirect(request, f"/t/{tenant}/e/{entity}/{created['id']}", flash=done)

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}", sync_to_thread=True)
    def detail(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        ident = parse_id(entity, record_id)
        record = api.read(ui.call, target, ident).record
        shown = presenter(ui)
        all_names = shown_columns(ui.call, entity, [n for s in screens.detail for n in s.fields])
        shown.load_titles(target.entity, [record], all_names)
        sections = [
            (
                s.label,
                s.tab,
                [shown.cell(target.entity, record, n) for n in s.fields if n in all_names],
            )
            for s in screens.detail
        ]
        related = []
        for rel in screens.related:
            rel_entity = ui.call.app.entities.get(rel.entity)
            if rel_entity is None or not ui.call.access.can(rel.entity, "read"):
                continue
            rel_columns = shown_columns(ui.call, rel.entity, rel.columns)
            params = {"filter": f"{rel.field} == {ident}", "limit": "10", "sort": "-id"}
            try:
                body = api.page(ui.call, rel_entity, ListArgs.of(params)).as_json()
            except RecordError:
                continue
            shown.load_titles(rel_entity.entity, body["items"], rel_columns)
            rows = [
                (item["id"], shown.row(rel_entity.entity, item, rel_columns))
                for item in body["items"]
            ]
            related.append(
                {
                    "entity": rel.entity,
                    "field": rel.field,
                    "label": rel.label,
                    "columns": [label_of(rel_entity.entity, c) for c in rel_columns],
                    "rows": rows,
                    "count": body["count"],
                    "can_create": ui.call.access.can(rel.entity, "create"),
                }
            )
        title_name = title_field(target.entity)
        header = build_header(
            ui.call, target.entity, record, shown, screens.highlights, screens.icon
        )
        badges = sla_badges(services.runtime, ui.call, ui.translator, entity, [record])
        ctx = {
            "header": header,
            "sla_badge": badges.get(record["id"]) if isinstance(record.get("id"), int) else None,
            "inline_names": inline_fields(ui.call, target.entity),
            "entity": target.entity,
            "record": record,
            "title": str(record.get(title_name) or f"#{ident}") if title_name else f"#{ident}",
            "sections": sections,
            "related": related,
            "can_update": ui.call.access.can(entity, "update"),
            "can_delete": ui.call.access.can(entity, "delete"),
            "can_export_person": ui.call.access.admin and email_field(target) is not None,
            "documents": [  # each button in the reader's language
                {"name": d.name, "label": d.labels.get(ui.translator.locale, d.label)}
                for d in ui.call.app.model.documents_of(entity)
            ],
            "line_tables": detail_tables(ui.call, target.entity, record, shown),
            **activity_context(services, ui, target, ident),
            **chat_context(live_chat, ui, entity, ident),
        }
        return page(request, ui, "detail.html", ctx)

    @get("/t/{tenant:str}/e/{entity:str}/{record_id:str}/edit", sync_to_thread=True)
    def edit_form(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        ui.call.access.require(entity, "update")
        record = api.read(ui.call, target, parse_id(entity, record_id)).record
        return form_page(request, ui, target, screens, record)

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def update(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        ident = parse_id(entity, record_id)
        posted, names, data = forms.posted(form, ui, target, screens)
        version_text = (posted.get("version") or [""])[-1]
        version = int(version_text) if version_text.isdigit() else None
        try:
            allow = bool(posted.get("_allow_duplicate"))
            api.update(ui.call, target, ident, data, version, allow_duplicate=allow)
        except DuplicatesFoundError as exc:  # a warn rule: list the look-alikes, offer to save
            record = {**api.read(ui.call, target, ident).record, **data, "version": version}
            kw = {"errors": exc.body()["errors"], "duplicates": exc.extra.get("duplicates")}
            return form_page(request, ui, target, screens, record, status=409, **kw)
        except ConflictError as exc:
            current = api.read(ui.call, target, ident).record
            changed = [
                {
                    "label": label_of(target.entity, n),
                    "theirs": current.get(n),
                    "yours": data.get(n),
                }
                for n in names
                if current.get(n) != data.get(n)
            ]
            conflict = {"message": str(exc), "changes": changed, "version": current.get("version")}
            record = {**current, **data, "id": ident, "version": current.get("version")}
            return form_page(
                request,
                ui,
                target,
                screens,
                record,
                errors=exc.body()["errors"],
                conflict=conflict,
                status=409,
            )
        except RecordError as exc:
            record = {**api.read(ui.call, target, ident).record, **data}
            if version is not None:
                record["version"] = version
            return form_page(
                request, ui, target, screens, record, errors=exc.body()["errors"], status=exc.status
            )
        done = ui.translator.gettext("%(label)s saved.", label=target.entity.label)
        return redirect(request, f"/t/{tenant}/e/{entity}/{ident}", flash=done)

    @post("/t/{tenant:str}/e/{entity:str}/{record_id:str}/delete", sync_to_thread=True)
    def delete(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[Any]:
        ui, target, _ = context(request, tenant, entity)
        api.delete(ui.call, target, parse_id(entity, record_id), None)
        done = ui.translator.gettext("%(label)s deleted.", label=target.entity.label)
        return redirect(request, f"/t/{tenant}/e/{entity}", flash=done)

    @post("/t/{tenant:str}/e/{entity:str}/_bulk", sync_to_thread=True, dependencies=POSTED_FORM)
    def bulk(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target, _ = context(request, tenant, entity)
        message = apply_bulk_action(api, ui.call, target, posted_multi(form))
        return redirect(request, f"/t/{tenant}/e/{entity}", flash=message)

    @post(
        "/t/{tenant:str}/e/{entity:str}/_form_state",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def form_state(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[bytes]:
        ui, target, screens = context(request, tenant, entity)
        posted, _, data = forms.posted(form, ui, target, screens)
        ident_text = (posted.get("id") or [""])[-1]
        record = {"id": int(ident_text) if ident_text.isdigit() else None, **data}
        state = encode({"fields": forms.state(ui, target, record)})
        return Response(content=state, media_type=JSON)

    @get("/t/{tenant:str}/e/{entity:str}/_lookup", sync_to_thread=True)
    def lookup(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui, target, _ = context(request, tenant, entity)
        text = request.query_params.get("q", "")
        title = title_field(target.entity)
        params = {"limit": str(LOOKUP_LIMIT), "fields": "id" + (f",{title}" if title else "")}
        expression = search_expression(target.entity, text)
        if expression:
            params["filter"] = expression
        if title:
            params["sort"] = title
        items = api.page(ui.call, target, ListArgs.of(params)).items
        options = [
            (item["id"], str((item.get(title) if title else None) or f"#{item['id']}"))
            for item in items
        ]
        ctx = {
            "options": options,
            "field": request.query_params.get("field", ""),
            "entity": target.entity,
        }
        return page(request, ui, "_lookup.html", ctx)

    screens = [home, list_page, new_form, create, detail, edit_form, update, delete]
    return [*screens, bulk, form_state, lookup]


__all__ = ["record_routes"]
