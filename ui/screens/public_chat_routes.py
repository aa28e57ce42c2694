"""Routes of the live chat widget (``/p/{tenant}/chat``) and its event stream.

Every handler runs in the thread pool. ``/events`` checks the token there and answers a
server-sent event stream whose generator runs on the event loop but reads the database
in worker threads (``anyio.to_thread``): every :data:`POLL_SECONDS` it sends the messages
newer than the last one sent (``Last-Event-ID`` or ``?after=`` on a reconnection). A stream
ends after :data:`STREAM_SECONDS` of the runtime's clock, or when the conversation is no
longer open (an ``end`` event); the browser's ``EventSource`` reconnects by itself, and
the widget falls back to polling ``/messages`` where streams do not get through.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import anyio
from litestar import HttpMethod, Request, Response, get, post, route
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.response import ServerSentEvent, ServerSentEventMessage

from trellis.platform.public.chat import ChatTokenError, FoundChat, LiveChat
from trellis.ui.screens.public_chat import ChatPages, parse_after
from trellis.ui.screens.public_preflight import preflight
from trellis.ui.screens.public_web import SUBMISSION, Posted
from trellis.ui.screens.web import UiServices

#: How often a stream looks for new messages (well inside the 2 s a message may take).
POLL_SECONDS = 0.5
#: How long one stream lasts (by the runtime's clock) before the browser reconnects.
STREAM_SECONDS = 60


async def message_stream(
    chat: LiveChat, found: FoundChat, record_id: int, after: int
) -> AsyncIterator[ServerSentEventMessage]:
    """The messages newer than ``after`` as they arrive, until the stream's end."""
    clock = chat.runtime.clock
    ends = clock.now() + timedelta(seconds=STREAM_SECONDS)
    last = after
    while True:
        rows = await anyio.to_thread.run_sync(chat.messages, found, record_id, last)
        for row in rows:
            last = int(row["id"])
            yield ServerSentEventMessage(data=json.dumps(row), event="message", id=str(last))
        status = await anyio.to_thread.run_sync(chat.status, found, record_id)
        if status not in found.chat.open:
            yield ServerSentEventMessage(data=json.dumps({"open": False}), event="end")
            return
        if clock.now() >= ends:
            return
        await anyio.sleep(POLL_SECONDS)


def chat_routes(services: UiServices, pages: ChatPages) -> list[Any]:
    """The widget's pages, posts, poll and event stream."""

    @get("/p/{tenant:str}/chat", sync_to_thread=True)
    def chat_start_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        found = pages.find(tenant)
        return pages.not_found(request, None) if found is None else pages.start_page(request, found)

    @post("/p/{tenant:str}/chat", sync_to_thread=True, dependencies=SUBMISSION)
    def chat_start(
        request: Request[Any, Any, Any], tenant: FromPath[str], submission: Posted
    ) -> Response[Any]:
        found = pages.find(tenant)
        if found is None:
            return pages.not_found(request, None)
        return with_cors(request, found, pages.start(request, found, submission))

    @route("/p/{tenant:str}/chat", http_method=[HttpMethod.OPTIONS], sync_to_thread=True)
    def chat_preflight(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        found = pages.find(tenant)
        return preflight(request, found.chat.allowed_origins if found is not None else ())

    @get("/p/{tenant:str}/chat/{token:str}", sync_to_thread=True)
    def chat_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], token: FromPath[str]
    ) -> Response[Any]:
        found = pages.find(tenant)
        if found is None:
            return pages.not_found(request, None)
        return pages.conversation_page(request, found, token)

    @post("/p/{tenant:str}/chat/{token:str}", sync_to_thread=True, dependencies=SUBMISSION)
    def chat_post(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        token: FromPath[str],
        submission: Posted,
    ) -> Response[Any]:
        found = pages.find(tenant)
        if found is None:
            return pages.not_found(request, None)
        return with_cors(request, found, pages.post(request, found, token, submission))

    @post(
        "/p/{tenant:str}/chat/{token:str}/transcript", sync_to_thread=True, dependencies=SUBMISSION
    )
    def chat_transcript(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        token: FromPath[str],
        submission: Posted,
    ) -> Response[Any]:
        found = pages.find(tenant)
        if found is None:
            return pages.not_found(request, None)
        return with_cors(request, found, pages.transcript(request, found, token, submission))

    @get("/p/{tenant:str}/chat/{token:str}/messages", sync_to_thread=True)
    def chat_messages(
        request: Request[Any, Any, Any], tenant: FromPath[str], token: FromPath[str]
    ) -> Response[Any]:
        found = pages.find(tenant)
        if found is None:
            return pages.not_found(request, None)
        after = request.query_params.get("after")
        return with_cors(request, found, pages.feed(request, found, token, after))

    @get("/p/{tenant:str}/chat/{token:str}/events", sync_to_thread=True)
    def chat_events(
        request: Request[Any, Any, Any], tenant: FromPath[str], token: FromPath[str]
    ) -> Response[Any]:
        found = pages.find(tenant)
        if found is None:
            return pages.not_found(request, None)
        try:
            record_id = pages.chat.opened(found, token)
        except ChatTokenError:
            return pages.not_found(request, found)
        after = parse_after(
            request.headers.get("last-event-id") or request.query_params.get("after")
        )
        if after is None:
            return pages.feed(request, found, token, "x")  # the poll's 400, worded once
        stream = message_stream(pages.chat, found, record_id, after)
        return ServerSentEvent(stream, retry_duration=1000, headers={"Cache-Control": "no-store"})

    # The preflight first: Litestar keeps the OPTIONS handler of the first handler of a path.
    return [
        chat_preflight,
        chat_start_page,
        chat_start,
        chat_page,
        chat_post,
        chat_transcript,
        chat_messages,
        chat_events,
    ]


def with_cors(
    request: Request[Any, Any, Any], found: FoundChat, response: Response[Any]
) -> Response[Any]:
    """Let a script of an allowed site read the answer."""
    origin = request.headers.get("origin")
    if origin and origin.lower() in {o.lower() for o in found.chat.allowed_origins}:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


__all__ = ["POLL_SECONDS", "STREAM_SECONDS", "chat_routes", "message_stream"]
