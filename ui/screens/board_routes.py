"""Kanban screens: the board of an entity and moving a record to another stage.

``POST /t/{t}/e/{entity}/{id}/move`` (``stage``, ``version``) saves through
``RecordsService.update``, so validations, rules, workflows and the optimistic lock apply.
htmx and the board's drag and drop get the re-rendered board (the stage bar with
``view=bar``): 200 when moved, the refusal's status (409, 422, …) with the reason
otherwise, the card back in the column it is really in. Plain form posts are
redirected with a flash message.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import Translatable, Translator
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError, ValidationFailedError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.ui.screens.asked_fields import (
    Ask,
    asked_names,
    asked_values,
    field_errors,
    move_transition,
    other_messages,
    writable,
)
from trellis.ui.screens.kanban import board_field, build_board, check_stage, stages_of
from trellis.ui.screens.layouts import Screens, screens_of
from trellis.ui.screens.list_view import ListQuery
from trellis.ui.screens.present import Presenter
from trellis.ui.screens.record_flow import build_flow, stage_bar_field
from trellis.ui.screens.record_form import posted_multi
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


def query_of(request: Request[Any, Any, Any]) -> ListQuery:
    """The list query (search, sort, filters) in the request's query string."""
    params = request.query_params
    multi = {key: params.getall(key) for key in params}
    return ListQuery.from_params(params, multi)


def posted_form(form: FormMultiDict) -> dict[str, str]:
    """The last value of each field of a posted form."""
    return {key: str(form.getall(key)[-1]) for key in form}


def posted_version(value: str | None) -> int | None:
    """The record version a form sent (None when absent); 422 when not a number."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailedError(
            {"version": [Translatable("The version must be a whole number.")]}
        )
    return int(text)


def error_text(exc: RecordError, t: Translator | None = None) -> str:
    """Every message of a refusal, as one sentence list (in ``t``'s language)."""
    messages = [m for ms in exc.body()["errors"].values() for m in ms]
    shown = [t.message(m) for m in messages] if t is not None else messages
    return " ".join(shown) or str(exc)


def board_routes(services: UiServices) -> list[Any]:
    """Route handlers of the kanban board and stage moves."""
    api = services.records

    def context(
        request: Request[Any, Any, Any], tenant: str, name: str
    ) -> tuple[UiCall, CompiledEntity, Screens]:
        ui = signed_in(services, request, tenant)
        entity = readable_entity(ui.call, name)
        return ui, entity, screens_of(ui.call, entity)

    def board_page(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: CompiledEntity,
        screens: Screens,
        *,
        fragment: bool,
        message: str | None = None,
        error: str | None = None,
        status: int = 200,
        ask: Ask | None = None,
    ) -> Response[Any]:
        query = query_of(request)
        shown = Presenter(api, ui.call, services.members.names(ui.tenant), ui.translator)
        board = build_board(ui, entity, screens, query, shown)
        access = ui.call.access.entity(entity.name)
        ctx = {
            "entity": entity.entity,
            "board": board,
            "query": query,
            "query_string": query.params(),
            "can_move": ui.call.access.can(entity.name, "update")
            and board.field not in access.read_only,
            "message": message,
            "move_error": None if ask is not None else error,
            "ask": ask,
        }
        template = "_kanban_board.html" if fragment else "kanban.html"
        return page(request, ui, template, ctx, status=status)

    def move_ask(
        ui: UiCall,
        target: CompiledEntity,
        ident: int,
        name: str,
        stage: str,
        exc: RecordError,
        sent: dict[str, Any],
        url: str,
        bar: bool,
    ) -> Ask | None:
        """The dialog asking for what a move to ``stage`` needs, or None when nothing helps."""
        record = {**api.read(ui.call, target, ident).record, **sent}
        flows = services.workflows.runner(ui.call).flows.get(target.name, ())
        t = move_transition(flows, name, record.get(name), stage)
        errors = exc.body()["errors"]
        can_write = writable(ui.call, target)
        names = asked_names(
            target, can_write, transition=t, record=record, errors=errors, skip=name
        )
        if not names:
            return None
        f = target.entity.fields[name]
        shown = ui.translator.value_label(ui.call.app.model, f, stage)
        reason = (t.definition.message if t is not None else None) or other_messages(errors, names)
        return Ask(
            url=url,
            target="record-flow" if bar else "kanban-board",
            title=ui.translator.gettext("Move to %(stage)s", stage=shown),
            reason=reason or error_text(exc),
            fields=names,
            values=record,
            errors=field_errors(errors, names, sent) if sent else {},
            hidden=(("stage", stage), ("version", str(record.get("version") or ""))),
        )

    @get("/t/{tenant:str}/e/{entity:str}/kanban", sync_to_thread=True)
    def kanban(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        board_field(ui, target, screens)
        fragment = is_htmx(request) and request.query_params.get("part") == "board"
        return board_page(request, ui, target, screens, fragment=fragment)

    @post(
        "/t/{tenant:str}/e/{entity:str}/{record_id:str}/move",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def move(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui, target, screens = context(request, tenant, entity)
        t = ui.translator
        ident = parse_id(entity, record_id)
        bar = request.query_params.get("view") == "bar"
        name = (
            stage_bar_field(ui, target, screens.kanban_field)
            if bar
            else board_field(ui, target, screens).name
        )
        detail_url = f"/t/{tenant}/e/{entity}/{ident}"
        board_url = f"/t/{tenant}/e/{entity}/kanban?{query_of(request).params()}"
        fields = posted_form(form)
        sent = asked_values(
            target, posted_multi(form), writable(ui.call, target), ui.translator.zone
        )
        stage = ""
        try:
            if name is None:
                plural = ui.translator.label(target.entity.plural_label)
                message = Translatable("%(entities)s have no pipeline stages.", entities=plural)
                raise ValidationFailedError({"stage": [message]})
            f = target.entity.fields[name]
            stages = stages_of(ui.call.app.model, f)
            stage = check_stage(stages, fields.get("stage", "").strip(), f.label)
            version = posted_version(fields.get("version"))
            api.update(ui.call, target, ident, {**sent, name: stage}, version)
        except RecordError as exc:
            reason = t.gettext("Not moved: %(reason)s", reason=error_text(exc, t))
            if not is_htmx(request):
                return redirect(request, detail_url if bar else board_url, flash=reason)
            ask = None
            if name is not None and stage and exc.status in (409, 422):
                url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                ask = move_ask(ui, target, ident, name, stage, exc, sent, url, bar)
            if bar:
                flow = build_flow(ui, target, ident, services, screens.kanban_field)
                flow.error = None if ask is not None else reason
                ctx = {"entity": target.entity, "flow": flow, "ask": ask}
                return page(request, ui, "_record_flow.html", ctx, status=exc.status)
            return board_page(
                request,
                ui,
                target,
                screens,
                fragment=True,
                error=reason,
                status=exc.status,
                ask=ask,
            )
        label = next(s.label for s in stages if s.name == stage)
        done = t.gettext("Moved to %(stage)s.", stage=label)
        if bar or not is_htmx(request):
            return redirect(request, detail_url if bar else board_url, flash=done)
        return board_page(request, ui, target, screens, fragment=True, message=done)

    return [kanban, move]


__all__ = ["board_routes", "error_text", "posted_form", "posted_version", "query_of"]
