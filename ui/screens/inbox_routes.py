"""The notifications inbox: ``/t/{t}/notifications`` (mentions, assignments, rules).

``GET /t/{t}/notifications?show=unread&before=ID`` lists the caller's notifications,
newest first, 50 a page; ``POST /t/{t}/notifications/{id}/read`` marks one read (and
goes to ``next`` when it is a screen of this tenant, e.g. the record);
``POST /t/{t}/notifications/read-all`` marks every one read. Both posts are forms
with a CSRF token; nobody can see or mark another member's notifications (404).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import Translatable
from trellis.platform.notifications import list_for_user, mark_all_read, mark_read
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.ids import parse_id
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    page,
    redirect,
    signed_in,
)

PAGE = 50
KIND_LABELS = {
    "rule": "Rule",
    "assignment": "Assignment",
    "mention": "Mention",
    "escalation": "Escalation",
    "sla": "SLA",
    "reminder": "Reminder",
}


def _before(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequestError(
            Translatable(
                "Parameter 'before' has value '%(value)s'. Use a notification id.", value=raw[:20]
            )
        )
    return int(raw)


def _show(raw: str | None) -> str:
    if raw in (None, "", "all"):
        return "all"
    if raw == "unread":
        return "unread"
    raise BadRequestError(
        Translatable(
            "Parameter 'show' has value '%(value)s'. Use all or unread.", value=str(raw)[:20]
        )
    )


def _href(ui: UiCall, note: dict[str, Any]) -> str | None:
    entity, ident = note.get("entity"), note.get("record_id")
    if not entity or ident is None or entity not in ui.call.app.entities:
        return None
    if not ui.call.access.can(entity, "read"):
        return None
    return f"/t/{ui.tenant}/e/{entity}/{ident}"


def _next_url(ui: UiCall, raw: str) -> str:
    """Where to go after marking read: a screen of this tenant, else the inbox."""
    inbox = f"/t/{ui.tenant}/notifications"
    if raw.startswith(f"/t/{ui.tenant}/") and "//" not in raw and "\\" not in raw:
        return raw
    return inbox


def inbox_routes(services: UiServices) -> list[Any]:
    """Route handlers of the notifications inbox."""
    runtime = services.runtime

    @get("/t/{tenant:str}/notifications", sync_to_thread=True)
    def inbox(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        show = _show(request.query_params.get("show"))
        before = _before(request.query_params.get("before"))
        user = ui.session.user_id
        notes = list_for_user(
            runtime, tenant, user, unread=show == "unread", limit=PAGE + 1, before_id=before
        )
        more = len(notes) > PAGE
        notes = notes[:PAGE]
        names = services.members.names(tenant)
        items = [
            {
                **note,
                "href": _href(ui, note),
                "kind_label": KIND_LABELS.get(note["kind"], note["kind"].capitalize()),
                "actor": names.get(note["actor_id"]) if note["actor_id"] else None,
                "at_text": (note["at"] or "").replace("T", " ")[:16],
            }
            for note in notes
        ]
        older = None
        if more and items:
            older = f"/t/{tenant}/notifications?show={show}&before={items[-1]['id']}"
        ctx = {"items": items, "show": show, "older": older, "paged": before is not None}
        return page(request, ui, "notifications.html", ctx)

    @post("/t/{tenant:str}/notifications/read-all", status_code=200, sync_to_thread=True)
    def read_all(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        marked = mark_all_read(runtime, tenant, ui.session.user_id)
        done = ui.translator.ngettext(
            "%(num)s notification marked read.", "%(num)s notifications marked read.", marked
        )
        return redirect(request, f"/t/{tenant}/notifications", flash=done)

    @post(
        "/t/{tenant:str}/notifications/{note_id:str}/read",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def read_one(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        note_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        number = parse_id("notification", note_id)
        if not mark_read(runtime, tenant, ui.session.user_id, number):
            raise NotFoundError(Translatable("No notification with id %(id)s.", id=number))
        return redirect(request, _next_url(ui, str(form.get("next") or "")))

    return [inbox, read_all, read_one]


__all__ = ["inbox_routes"]
