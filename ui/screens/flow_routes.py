"""Detail-page workflow screens: the stage bar and transition buttons of a record.

``GET /t/{t}/e/{entity}/{id}/_flow`` renders the panel (the detail page loads it with
htmx). ``POST …/transitions/{name}`` (and ``…/approve``, ``…/reject``) run through
:class:`WorkflowsService`, the same code as the JSON API. htmx posts get the panel back
with the reason when refused (409 guard or pending approval, 403 role, 404 unknown
transition); success, and every plain form post, redirects to the record with a
flash message.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import Translator
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.caller import readable_entity
from trellis.platform.workflows import TransitionResult
from trellis.ui.screens.asked_fields import (
    Ask,
    asked_names,
    asked_values,
    field_errors,
    other_messages,
    writable,
)
from trellis.ui.screens.board_routes import error_text, posted_form, posted_version
from trellis.ui.screens.layouts import Screens, screens_of
from trellis.ui.screens.record_flow import build_flow
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

RECORD = "/t/{tenant:str}/e/{entity:str}/{record_id:str}"


def _done_message(result: TransitionResult, label: str, t: Translator) -> str:
    approval = result.approval
    if approval is None or approval.status == "approved":
        return t.gettext("%(label)s: done.", label=label)
    if approval.status == "pending":
        return t.gettext(
            "%(label)s: approval requested from the role '%(role)s'.",
            label=label,
            role=approval.role,
        )
    return t.gettext("%(label)s: request rejected.", label=label)


def flow_routes(services: UiServices) -> list[Any]:
    """Route handlers of the stage bar and workflow panel."""
    ops = services.workflows

    def context(
        request: Request[Any, Any, Any], tenant: str, name: str, record_id: str
    ) -> tuple[UiCall, CompiledEntity, Screens, int]:
        ui = signed_in(services, request, tenant)
        entity = readable_entity(ui.call, name)
        screens = screens_of(ui.call, entity)
        return ui, entity, screens, parse_id(name, record_id)

    def panel(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: CompiledEntity,
        screens: Screens,
        ident: int,
        *,
        error: str | None = None,
        status: int = 200,
        ask: Ask | None = None,
    ) -> Response[Any]:
        flow = build_flow(ui, entity, ident, services, screens.kanban_field)
        flow.error = None if ask is not None else error
        ctx = {"entity": entity.entity, "flow": flow, "ask": ask}
        return page(request, ui, "_record_flow.html", ctx, status=status)

    def ask_for(
        ui: UiCall,
        target: CompiledEntity,
        ident: int,
        name: str,
        label: str,
        exc: RecordError,
        sent: dict[str, Any],
    ) -> Ask | None:
        """The dialog asking for what transition ``name`` needs, or None when nothing helps."""
        if exc.status not in (409, 422):
            return None
        record = {**services.records.read(ui.call, target, ident).record, **sent}
        can_write = writable(ui.call, target)
        _, t = ops.runner(ui.call).find(target, name)
        errors = exc.body()["errors"]
        names = asked_names(target, can_write, transition=t, record=record, errors=errors)
        if not names:
            return None
        return Ask(
            url=f"/t/{ui.tenant}/e/{target.name}/{ident}/transitions/{name}",
            target="record-flow",
            title=ui.translator.label(label),
            reason=t.definition.message or other_messages(errors, names) or error_text(exc),
            fields=names,
            values=record,
            errors=field_errors(errors, names, sent) if sent else {},
            hidden=(("version", str(record.get("version") or "")),),
        )

    def act(
        request: Request[Any, Any, Any],
        tenant: str,
        entity: str,
        record_id: str,
        name: str,
        decision: str | None,
        form: PostedForm,
    ) -> Response[Any]:
        ui, target, screens, ident = context(request, tenant, entity, record_id)
        detail_url = f"/t/{tenant}/e/{entity}/{ident}"
        fields = posted_form(form)
        label = name
        sent: dict[str, Any] = {}
        try:
            step = ops.runner(ui.call).find(target, name)
            label = step[1].definition.label or name
            if decision == "approve":
                result = ops.approve(ui.call, target, ident, name)
            elif decision == "reject":
                result = ops.reject(ui.call, target, ident, name)
            else:
                version = posted_version(fields.get("version"))
                sent = asked_values(
                    target, posted_multi(form), writable(ui.call, target), ui.translator.zone
                )
                result = ops.run(ui.call, target, ident, name, sent, version)
        except RecordError as exc:
            reason = ui.translator.gettext(
                "%(label)s: %(reason)s", label=label, reason=error_text(exc, ui.translator)
            )
            if not is_htmx(request):
                return redirect(request, detail_url, flash=reason)
            ask = None
            if decision is None:
                ask = ask_for(ui, target, ident, name, label, exc, sent)
            return panel(
                request, ui, target, screens, ident, error=reason, status=exc.status, ask=ask
            )
        return redirect(request, detail_url, flash=_done_message(result, label, ui.translator))

    @get(f"{RECORD}/_flow", sync_to_thread=True)
    def flow_panel(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
    ) -> Response[Any]:
        ui, target, screens, ident = context(request, tenant, entity, record_id)
        return panel(request, ui, target, screens, ident)

    @post(
        f"{RECORD}/transitions/{{name:str}}",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def run_transition(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        return act(request, tenant, entity, record_id, name, None, form)

    @post(
        f"{RECORD}/transitions/{{name:str}}/{{decision:str}}",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def decide(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        record_id: FromPath[str],
        name: FromPath[str],
        decision: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        if decision not in ("approve", "reject"):
            ui, target, screens, ident = context(request, tenant, entity, record_id)
            reason = ui.translator.gettext(
                "Unknown decision '%(decision)s': use approve or reject.", decision=decision
            )
            if not is_htmx(request):
                return redirect(request, f"/t/{tenant}/e/{entity}/{ident}", flash=reason)
            return panel(request, ui, target, screens, ident, error=reason, status=404)
        return act(request, tenant, entity, record_id, name, decision, form)

    return [flow_panel, run_transition, decide]


__all__ = ["flow_routes"]
