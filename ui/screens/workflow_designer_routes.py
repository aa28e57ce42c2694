"""The workflow designer: ``/t/{t}/admin/workflows[/{name}]`` (tenant admins only).

Lists the draft's workflows and draws each as a server-side SVG diagram (layout in
platform/designers/flow_layout.py): states as boxes, transitions as labelled arrows,
states the initial one does not reach and dead ends flagged in the drawing and in
the text beside it. Every change is a plain form post (add, rename or remove a state
or a transition; a transition's states, roles, approval, required fields, condition,
message and ``on_enter`` values; the initial state) saved to the draft at the revision the page
was read at; a refused one shows the page again with the reason, the typed values
kept, nothing changed.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import label_for, local_text
from trellis.platform.designers.flow_edit import FlowChange, FlowEditError
from trellis.platform.designers.flow_layout import Diagram, layout
from trellis.platform.designers.flow_props import on_enter_text
from trellis.platform.designers.flow_service import (
    FlowFile,
    edit_workflow,
    workflow_file,
    workflow_rows,
)
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect


def _texts(value: Any) -> dict[str, str]:
    """A label's English and Spanish text, as the edit forms show them."""
    names = value if isinstance(value, dict) else {"en": value, "es": value}
    return {"en": str(names.get("en") or ""), "es": str(names.get("es") or "")}


def _sources(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(s) for s in value] if isinstance(value, list) else []


def _approval(value: Any) -> dict[str, str]:
    """A transition's ``approval`` as the form shows it (empty role: none)."""
    found = value if isinstance(value, dict) else {}
    return {"role": str(found.get("role") or ""), "when": str(found.get("when") or "")}


def flow_view(flow: FlowFile, locale: str) -> tuple[Diagram, list[dict[str, Any]]]:
    """The diagram in ``locale`` and the transitions as the page lists them."""
    state_texts = {
        s: label_for(local_text(flow.state_labels.get(s)), locale) or s for s in flow.graph.states
    }
    items = flow.data.get("transitions")
    transitions = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "")
        transitions.append(
            {
                "name": name,
                "text": label_for(local_text(item.get("label")), locale) or name,
                "texts": _texts(item.get("label")),
                "from": [state_texts.get(s, s) for s in _sources(item.get("from"))],
                "to": state_texts.get(str(item.get("to")), str(item.get("to"))),
                "sources": _sources(item.get("from")),
                "target": str(item.get("to") or ""),
                "message": _texts(item.get("message")) if item.get("message") else None,
                "message_text": label_for(local_text(item.get("message")), locale),
                "guard": item.get("guard"),
                "roles": _sources(item.get("roles")),
                "required": _sources(item.get("required")),
                "approval": _approval(item.get("approval")),
                "on_enter": on_enter_text(item),
            }
        )
    arrow_texts = {str(t["name"]): str(t["text"]) for t in transitions}
    return layout(flow.graph, state_texts, arrow_texts), transitions


def _number(value: str) -> int:
    text = value.strip()
    return int(text) if text.isdigit() else 0


def workflow_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the workflow designer."""

    def show(
        request: Request[Any, Any, Any],
        ui: UiCall,
        name: str,
        *,
        errors: list[str] | None = None,
        status: int = 200,
        revision: int | None = None,
        values: dict[str, Any] | None = None,
    ) -> Response[Any]:
        try:
            flow = workflow_file(services.runtime, ui.tenant, name)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such workflow in the draft.")) from None
        diagram, transitions = flow_view(flow, ui.translator.locale)
        ctx = {
            "flow": flow,
            "diagram": diagram,
            "transitions": transitions,
            "state_texts": {b.state: _texts(flow.state_labels.get(b.state)) for b in diagram.boxes},
            "errors": errors or [],
            "values": values or {},
            "revision": flow.revision if revision is None else revision,
        }
        return page(request, ui, "designer_workflow.html", ctx, status=status)

    @get("/t/{tenant:str}/admin/workflows", sync_to_thread=True)
    def workflows_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        rows, revision = workflow_rows(services.runtime, tenant)
        return page(request, ui, "designer_workflows.html", {"rows": rows, "revision": revision})

    @get("/t/{tenant:str}/admin/workflows/{name:str}", sync_to_thread=True)
    def workflow_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], name: FromPath[str]
    ) -> Response[Any]:
        return show(request, admin_call(services, request, tenant), name)

    @post(
        "/t/{tenant:str}/admin/workflows/{name:str}",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def change_workflow(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values: dict[str, Any] = form_dict(form)
        sources = tuple(str(s) for s in form.getall("from", []))
        values["from"] = sources
        roles = tuple(str(s) for s in form.getall("roles", []))
        required = tuple(str(s) for s in form.getall("required", []))
        values["roles"], values["required"] = roles, required
        revision = _number(str(values.get("draft_version", "")))
        change = FlowChange(
            op=str(values.get("op", "")),
            state=str(values.get("state", "")).strip(),
            name=str(values.get("name", "")).strip(),
            label_en=str(values.get("label_en", "")),
            label_es=str(values.get("label_es", "")),
            sources=sources,
            target=str(values.get("to", "")),
            guard=str(values.get("guard", "")),
            roles=roles,
            required=required,
            approval_role=str(values.get("approval_role", "")),
            approval_when=str(values.get("approval_when", "")),
            on_enter=str(values.get("on_enter", "")),
            message_en=str(values.get("message_en", "")),
            message_es=str(values.get("message_es", "")),
        )
        again: dict[str, Any] = {"revision": revision, "values": values, "status": 422}
        try:
            edit_workflow(
                services.runtime,
                tenant,
                name,
                change,
                expected=revision,
                actor=ui.call.identity.email,
            )
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such workflow in the draft.")) from None
        except FlowEditError as exc:
            return show(request, ui, name, errors=[t.message(exc.message)], **again)
        except InvalidDraftError as exc:
            return show(request, ui, name, errors=[str(e["text"]) for e in exc.errors], **again)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Nothing was changed: the page now shows the draft as it is; "
                "make your change again.",
                who=exc.updated_by or "?",
            )
            return show(request, ui, name, errors=[stale], status=409, values=values)
        done = t.gettext("Workflow saved in the draft.")
        return redirect(request, f"/t/{tenant}/admin/workflows/{name}", flash=done)

    return [workflows_page, workflow_page, change_workflow]


__all__ = ["flow_view", "workflow_designer_routes"]
