"""The live chat widget's pages and answers under ``/p/{tenant}/chat`` (docs/chat.md).

``GET /p/{t}/chat`` shows the start form (name, e-mail, first message); posting it opens
a conversation and goes to ``/p/{t}/chat/{token}``, the conversation page, whose form
adds a message. Both posts also take JSON (answers 201 with the token, or the message).
``/messages?after=ID`` answers the newer messages as JSON (the widget's polling), and
``/events`` streams them as server-sent events (``public_chat_events``). The pages work
without script; ``/static/chat.js`` (our own file: the policy allows no other script and
no inline one) adds live updates. A forged or edited token answers 404 and stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response
from litestar.response import Redirect, Template

from trellis.metadata.model import pick_text
from trellis.platform.i18n import N_, Translator
from trellis.platform.public import UnknownPublicPageError
from trellis.platform.public.chat import (
    EMPTY,
    NO_ADDRESS,
    ChatClosedError,
    ChatTokenError,
    FoundChat,
    LiveChat,
    too_long,
)
from trellis.platform.records.errors import ValidationFailedError
from trellis.ui.screens.public_limits import PublicLimiter
from trellis.ui.screens.public_portal_view import portal_locale
from trellis.ui.screens.public_web import Submission, origin_ok, page_policy
from trellis.ui.screens.web import UiServices

NAME, EMAIL, TEXT = "name", "email", "message"


def _json(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


def chat_policy(found: FoundChat | None) -> str:
    """The page's policy: our script and stylesheet only, fetches to this server only,
    embeddable by the chat's allowed origins."""
    ancestors = found.chat.allowed_origins if found is not None else ()
    base = page_policy(frame_ancestors=ancestors)
    return base.replace("default-src 'none';", "default-src 'none'; script-src 'self'; "
                        "connect-src 'self';", 1)  # fmt: skip


class ChatPages:
    """The chat handlers' shared parts: the service, the limit, pages and errors."""

    def __init__(self, services: UiServices, limiter: PublicLimiter) -> None:
        self.chat = LiveChat(services.runtime, services.app)
        self.limiter = limiter

    def find(self, tenant: str) -> FoundChat | None:
        """The tenant's chat, or None (unknown tenant or no chat: the same 404)."""
        try:
            return self.chat.find(tenant)
        except UnknownPublicPageError:
            return None

    @staticmethod
    def translator(request: Request[Any, Any, Any], found: FoundChat | None) -> Translator:
        """The page's language: ``?lang``, ``Accept-Language``, the tenant's, English."""
        default = found.default_locale if found is not None else None
        header = request.headers.get("accept-language")
        zone = found.rt.app.model.timezone if found is not None else "UTC"
        return Translator(portal_locale(request.query_params.get("lang"), header, default), zone)

    def render(
        self, template: str, context: Mapping[str, Any], found: FoundChat | None, status: int = 200
    ) -> Template:
        """A chat page with the chat's policy."""
        headers = {"Content-Security-Policy": chat_policy(found), "Cache-Control": "no-store"}
        return Template(
            template_name=f"public/{template}",
            context=dict(context),
            status_code=status,
            headers=headers,
        )

    def error(
        self,
        request: Request[Any, Any, Any],
        found: FoundChat | None,
        status: int,
        heading: str,
        text: str,
    ) -> Response[Any]:
        """An error in the reader's language: JSON ``{"error": …}`` for JSON or a page."""
        t = self.translator(request, found)
        message = t.gettext(text)
        if _json(request) or "application/json" in request.headers.get("accept", ""):
            return Response(content={"error": message}, status_code=status)
        context = {"lang": t.locale, "heading": t.gettext(heading), "message": message}
        return self.render("message.html", context, found, status)

    def not_found(self, request: Request[Any, Any, Any], found: FoundChat | None) -> Response[Any]:
        """The one 404: unknown tenant, no chat, or a token that opens nothing."""
        return self.error(
            request, found, 404, N_("Not found"), N_("This conversation does not exist.")
        )

    def _base(self, t: Translator, found: FoundChat) -> dict[str, Any]:
        chat = found.chat
        entity = found.conversations.entity
        return {
            "lang": t.locale,
            "i18n": t,
            "heading": pick_text(chat.title, [t.locale], found.default_locale)
            or t.label(entity.label),
            "welcome": pick_text(chat.welcome, [t.locale], found.default_locale),
            "max_length": chat.max_length,
            "start_action": f"/p/{found.tenant}/chat",
        }

    def start_page(
        self,
        request: Request[Any, Any, Any],
        found: FoundChat,
        values: Mapping[str, Any] | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> Response[Any]:
        """The start form, again with the visitor's values and errors (422)."""
        t = self.translator(request, found)
        context = {
            **self._base(t, found),
            "values": values or {},
            "errors": errors or {},
            "asks_name": found.chat.visitor_name is not None,
            "asks_email": found.chat.visitor_email is not None,
        }
        return self.render("chat_start.html", context, found, 422 if errors else 200)

    def _errors(
        self, request: Request[Any, Any, Any], found: FoundChat, exc: ValidationFailedError
    ) -> dict[str, list[str]]:
        """The errors by widget field, the chat's own ones in the reader's language."""
        chat = found.chat
        t = self.translator(request, found)
        names = {chat.body: TEXT, chat.visitor_name: NAME, chat.visitor_email: EMAIL}
        own = {
            EMPTY: t.gettext(EMPTY),
            too_long(chat.max_length): t.gettext(
                "A message has at most %(count)s characters.", count=chat.max_length
            ),
        }
        out: dict[str, list[str]] = {}
        for field, messages in exc.errors.items():
            shown = [own.get(m, m) for m in messages]
            out.setdefault(names.get(field) or "__all__", []).extend(shown)
        return out

    def start(
        self, request: Request[Any, Any, Any], found: FoundChat, body: Submission
    ) -> Response[Any]:
        """Open a conversation: 201 with its token (JSON) or 303 to its page.

        Opening conversations and writing in them count against the per-address limit
        of public posts (429 with ``Retry-After``)."""
        refused = self._refused(request, found, body)
        if refused is not None:
            return refused
        values = _values(body)
        try:
            record_id, token = self.chat.start(
                found, values.get(TEXT), values.get(NAME), values.get(EMAIL)
            )
        except ValidationFailedError as exc:
            errors = self._errors(request, found, exc)
            if body.json:
                return Response(content={"errors": errors}, status_code=422)
            return self.start_page(request, found, values, errors)
        path = f"/p/{found.tenant}/chat/{token}"
        if body.json:
            content = {"id": record_id, "token": token, "url": path}
            return Response(content=content, status_code=201)
        return Redirect(path=path, status_code=303, headers={"Cache-Control": "no-store"})

    def _refused(
        self, request: Request[Any, Any, Any], found: FoundChat, body: Submission
    ) -> Response[Any] | None:
        if not origin_ok(request, found.chat.allowed_origins):
            text = N_("This form cannot be sent from the page you used.")
            return self.error(request, found, 403, N_("Not allowed"), text)
        retry = self.limiter.check(found.tenant, request.client.host if request.client else None)
        if retry is not None:
            text = N_("Too many messages from your address. Please wait a minute.")
            response = self.error(request, found, 429, N_("Please wait"), text)
            response.headers["Retry-After"] = str(retry)
            return response
        if body.malformed:
            text = N_("Send a JSON object of fields.")
            return self.error(request, found, 400, N_("Bad request"), text)
        return None

    def conversation_page(
        self,
        request: Request[Any, Any, Any],
        found: FoundChat,
        token: str,
        errors: Mapping[str, list[str]] | None = None,
        value: str = "",
    ) -> Response[Any]:
        """The transcript, the form to write more (live with the script) and the button
        that e-mails the transcript to the visitor."""
        try:
            record_id = self.chat.opened(found, token)
        except ChatTokenError:
            return self.not_found(request, found)
        t = self.translator(request, found)
        messages = self.chat.messages(found, record_id)
        path = f"/p/{found.tenant}/chat/{token}"
        context = {
            **self._base(t, found),
            "messages": messages,
            "last": messages[-1]["id"] if messages else 0,
            "action": path,
            "feed": f"{path}/messages",
            "events": f"{path}/events",
            "open": self.chat.status(found, record_id) in found.chat.open,
            "errors": errors or {},
            "value": value,
            "mails_transcript": found.chat.visitor_email is not None,
            "transcript_sent": request.query_params.get("transcript") == "sent",
        }
        return self.render("chat.html", context, found, 422 if errors else 200)

    def transcript(
        self, request: Request[Any, Any, Any], found: FoundChat, token: str, body: Submission
    ) -> Response[Any]:
        """The visitor asks for the transcript by e-mail, to the address they gave: 202
        (JSON) or 303 back to the page; 422 naming ``email`` when they gave none."""
        try:
            record_id = self.chat.opened(found, token)
        except ChatTokenError:
            return self.not_found(request, found)
        refused = self._refused(request, found, body)
        if refused is not None:
            return refused
        t = self.translator(request, found)
        try:
            self.chat.mail_transcript(found, record_id, t.locale)
        except ValidationFailedError:
            errors = {EMAIL: [t.gettext(NO_ADDRESS)]}
            if body.json:
                return Response(content={"errors": errors}, status_code=422)
            return self.conversation_page(request, found, token, errors)
        if body.json:
            return Response(content={"queued": True}, status_code=202)
        path = f"/p/{found.tenant}/chat/{token}?transcript=sent"
        return Redirect(path=path, status_code=303, headers={"Cache-Control": "no-store"})

    def post(
        self, request: Request[Any, Any, Any], found: FoundChat, token: str, body: Submission
    ) -> Response[Any]:
        """A visitor's message: 201 with it (JSON) or 303 back to the page."""
        try:
            record_id = self.chat.opened(found, token)
        except ChatTokenError:
            return self.not_found(request, found)
        refused = self._refused(request, found, body)
        if refused is not None:
            return refused
        value = _values(body).get(TEXT)
        try:
            saved = self.chat.post(found, record_id, value)
        except ValidationFailedError as exc:
            errors = self._errors(request, found, exc)
            if body.json:
                return Response(content={"errors": errors}, status_code=422)
            shown = value if isinstance(value, str) else ""
            return self.conversation_page(request, found, token, errors, shown)
        except ChatClosedError:
            text = N_("This conversation is closed.")
            return self.error(request, found, 409, N_("Closed"), text)
        if body.json:
            return Response(content={"id": saved["id"]}, status_code=201)
        return Redirect(path=f"/p/{found.tenant}/chat/{token}", status_code=303)

    def feed(
        self, request: Request[Any, Any, Any], found: FoundChat, token: str, after: str | None
    ) -> Response[Any]:
        """The messages newer than ``after`` and whether the conversation is open."""
        try:
            record_id = self.chat.opened(found, token)
        except ChatTokenError:
            return self.not_found(request, found)
        start = parse_after(after)
        if start is None:
            text = N_("Parameter 'after' must be a message id.")
            return self.error(request, found, 400, N_("Bad request"), text)
        content = {
            "messages": self.chat.messages(found, record_id, start),
            "open": self.chat.status(found, record_id) in found.chat.open,
        }
        return Response(content=content, headers={"Cache-Control": "no-store"})


def parse_after(raw: str | None) -> int | None:
    """``after`` as a message id (0 when missing), None when it is not one."""
    if raw in (None, ""):
        return 0
    text = str(raw)
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _values(body: Submission) -> dict[str, Any]:
    if body.json:
        return dict(body.values)
    return {k: v[0] for k, v in body.posted.items() if v}


__all__ = ["ChatPages", "chat_policy", "parse_after"]
