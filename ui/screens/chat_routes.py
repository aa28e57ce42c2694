"""The agents' side of the live chat (docs/chat.md): the queue and answers from the record.

``GET /t/{t}/chat`` lists the open conversations the member may read, newest first, with
their visitor; the page reloads its table (``?part=rows``, a fragment) every
:data:`REFRESH_SECONDS` through htmx, with no script of its own. The conversation's
record page shows the transcript and an answer box (:func:`chat_context`);
``POST /t/{t}/chat/{id}/answer`` (a form with its CSRF token) saves the answer through
the save pipeline as the member, so their role must allow creating messages.
``/messages?after=ID`` and ``/events`` give the record page the visitor's new messages,
as polling and as server-sent events.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import ServerSentEvent

from trellis.platform.i18n import Translatable
from trellis.platform.public.chat import FoundChat, LiveChat
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.ids import parse_id
from trellis.ui.screens.public_chat import parse_after
from trellis.ui.screens.public_chat_routes import message_stream
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    page,
    redirect,
    signed_in,
)

#: How often the queue page reloads its table (htmx polling of ``?part=rows``).
REFRESH_SECONDS = 5


def _found(chat: LiveChat, ui: UiCall) -> FoundChat:
    """The tenant's chat when the member may read its conversations; 404 otherwise."""
    model = ui.call.app.model.chat
    if model is None or not ui.call.access.can(model.entity, "read"):
        raise NotFoundError(Translatable("This tenant has no chat queue."))
    return FoundChat(ui.tenant, model, ui.call.rt)


def chat_context(chat: LiveChat, ui: UiCall, entity: str, record_id: int) -> dict[str, Any]:
    """The record page's chat panel (transcript, answer box) for a conversation."""
    model = ui.call.app.model.chat
    if model is None or model.entity != entity:
        return {}
    found = FoundChat(ui.tenant, model, ui.call.rt)
    messages = chat.messages(found, record_id)
    base = f"/t/{ui.tenant}/chat/{record_id}"
    return {
        "chat_panel": {
            "messages": messages,
            "last": messages[-1]["id"] if messages else 0,
            "feed": f"{base}/messages",
            "events": f"{base}/events",
            "action": f"{base}/answer",
            "open": chat.status(found, record_id) in model.open,
            "can_answer": ui.call.access.can(model.message_entity, "create"),
            "max_length": model.max_length,
        }
    }


def _record(ui: UiCall, found: FoundChat, raw: str) -> int:
    ident = parse_id(found.chat.entity, raw)
    return ident


def agent_chat_routes(services: UiServices, chat: LiveChat) -> list[Any]:
    """The queue, the answer post, and the record page's poll and stream."""

    @get("/t/{tenant:str}/chat", sync_to_thread=True)
    def chat_queue(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        found = _found(chat, ui)
        items = chat.open_conversations(found, ui.call)
        model = found.chat
        rows = [
            {
                "id": item["id"],
                "title": item.get(found.conversations.entity.title or "id") or f"#{item['id']}",
                "visitor": (item.get(model.visitor_name) if model.visitor_name else None)
                or (item.get(model.visitor_email) if model.visitor_email else None)
                or "",
                "at": str(item.get("created_at") or "").replace("T", " ")[:16],
            }
            for item in items
        ]
        ctx = {"rows": rows, "entity": found.chat.entity, "refresh": REFRESH_SECONDS}
        part = request.query_params.get("part") == "rows"
        return page(request, ui, "_chat_queue.html" if part else "chat_queue.html", ctx)

    @post(
        "/t/{tenant:str}/chat/{record_id:str}/answer",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def chat_answer(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        record_id: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        found = _found(chat, ui)
        ident = _record(ui, found, record_id)
        chat.answer(found, ui.call, ident, form.get("message"))
        return redirect(request, f"/t/{tenant}/e/{found.chat.entity}/{ident}#chat")

    def _readable(request: Request[Any, Any, Any], tenant: str, raw: str) -> tuple[FoundChat, int]:
        ui = signed_in(services, request, tenant)
        found = _found(chat, ui)
        ident = _record(ui, found, raw)
        services.app.records.read(ui.call, found.conversations, ident)  # 404 outside its scope
        return found, ident

    def _after(request: Request[Any, Any, Any]) -> int:
        raw = request.headers.get("last-event-id") or request.query_params.get("after")
        after = parse_after(raw)
        if after is None:
            raise BadRequestError(Translatable("Parameter 'after' must be a message id."))
        return after

    @get("/t/{tenant:str}/chat/{record_id:str}/messages", sync_to_thread=True)
    def chat_feed(
        request: Request[Any, Any, Any], tenant: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        found, ident = _readable(request, tenant, record_id)
        content = {
            "messages": chat.messages(found, ident, _after(request)),
            "open": chat.status(found, ident) in found.chat.open,
        }
        return Response(content=content, headers={"Cache-Control": "no-store"})

    @get("/t/{tenant:str}/chat/{record_id:str}/events", sync_to_thread=True)
    def chat_stream(
        request: Request[Any, Any, Any], tenant: FromPath[str], record_id: FromPath[str]
    ) -> Response[Any]:
        found, ident = _readable(request, tenant, record_id)
        stream = message_stream(chat, found, ident, _after(request))
        return ServerSentEvent(stream, retry_duration=1000, headers={"Cache-Control": "no-store"})

    return [chat_queue, chat_answer, chat_feed, chat_stream]


__all__ = ["REFRESH_SECONDS", "agent_chat_routes", "chat_context"]
