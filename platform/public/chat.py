"""Live chat: visitors open conversations and write in them; agents answer.

Every save goes through the save pipeline: a visitor's as the tenant's ``public``
principal (which may only create), an agent's as the member. A visitor reaches one
conversation only, through the signed token they got when opening it
(:mod:`trellis.platform.public.chat_token`). Reading the messages of a conversation is a
plain ``SELECT`` of its live messages newer than a given id, so a poll or a server-sent
event stream asks for what it has not seen yet. Texts are stored as given and escaped
wherever they are shown (pages, JSON read with ``textContent``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import ChatDef
from trellis.metadata.model.chat import AGENT, VISITOR
from trellis.platform.authz.call import Call
from trellis.platform.db.engines import mark_outbox_write
from trellis.platform.db.tables import OUTBOX_TABLE
from trellis.platform.i18n import N_
from trellis.platform.jobs.chat_transcript_mail import JOB_KIND as TRANSCRIPT_JOB
from trellis.platform.public.chat_token import chat_token, read_chat_token
from trellis.platform.public.forms import PublicForm, PublicForms, UnknownPublicPageError
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import ConflictError, ValidationFailedError
from trellis.platform.records.values import as_utc
from trellis.platform.runtime import Runtime, TenantNotFoundError
from trellis.platform.runtime.app_runtime import AppRuntime
from trellis.platform.services import Services
from trellis.platform.services.values import ListArgs

EMPTY = "Write a message."
NO_ADDRESS = N_("This conversation has no e-mail address to send it to.")
#: Most messages one read answers (a poll asks again from the last id).
MAX_READ = 200


def too_long(limit: int) -> str:
    """The error of a message longer than ``limit`` characters."""
    return f"A message has at most {limit} characters."


class ChatTokenError(LookupError):
    """A token that opens no conversation (forged, edited, of another tenant)."""


class ChatClosedError(ConflictError):
    """The conversation is no longer open: nothing more can be written in it."""


@dataclass(frozen=True, slots=True)
class FoundChat:
    """The chat of a tenant's current app version."""

    tenant: str
    chat: ChatDef
    rt: AppRuntime

    @property
    def conversations(self) -> CompiledEntity:
        """The compiled conversation entity."""
        return self.rt.app.entities[self.chat.entity]

    @property
    def messages(self) -> CompiledEntity:
        """The compiled message entity."""
        return self.rt.app.entities[self.chat.message_entity]

    @property
    def default_locale(self) -> str | None:
        """The tenant's default language (``locale:`` in app.yaml)."""
        value = getattr(self.rt.app.model, "locale", None)
        return value if isinstance(value, str) else None


class LiveChat:
    """Opens conversations, stores and reads their messages."""

    def __init__(self, runtime: Runtime, services: Services) -> None:
        self.runtime = runtime
        self.services = services
        self._public = PublicForms(runtime, services)

    def find(self, tenant: str) -> FoundChat:
        """The chat of ``tenant``.

        Raises:
            UnknownPublicPageError: no such tenant (or nothing published) or no chat.
        """
        try:
            rt = self.runtime.app_runtime(tenant)
        except TenantNotFoundError:
            raise UnknownPublicPageError("chat") from None
        chat = rt.app.model.chat
        if chat is None:
            raise UnknownPublicPageError("chat")
        return FoundChat(tenant, chat, rt)

    def _visitor(self, found: FoundChat) -> Call:
        # The public principal's call, shared with the public forms (built once a version).
        return self._public.call(PublicForm(found.tenant, None, found.rt))  # type: ignore[arg-type]

    @staticmethod
    def checked_text(found: FoundChat, value: Any) -> str:
        """``value`` as a message text, trimmed.

        Raises:
            ValidationFailedError: empty, not text, or longer than the chat allows.
        """
        body = found.chat.body
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            raise ValidationFailedError({body: [EMPTY]})
        if len(text) > found.chat.max_length:
            raise ValidationFailedError({body: [too_long(found.chat.max_length)]})
        return text

    def token(self, found: FoundChat, conversation_id: int) -> str:
        """The visitor's token for ``conversation_id``."""
        return chat_token(self.runtime.config, found.tenant, found.chat.entity, conversation_id)

    def opened(self, found: FoundChat, token: str) -> int:
        """The live conversation ``token`` opens.

        Raises:
            ChatTokenError: the token is not valid, or its conversation is gone.
        """
        record_id = read_chat_token(self.runtime.config, found.tenant, found.chat.entity, token)
        if record_id is None or self.status(found, record_id) is None:
            raise ChatTokenError(token)
        return record_id

    def status(self, found: FoundChat, conversation_id: int) -> str | None:
        """The conversation's status, or None when there is no such live record."""
        t = found.conversations.table
        query = sa.select(t.c[found.chat.status]).where(
            t.c.id == conversation_id, t.c.deleted_at.is_(None)
        )
        with self.runtime.engines.tenant_connection(found.tenant) as conn:
            row = conn.execute(query).first()
        return None if row is None else str(row[0] or "")

    def start(
        self, found: FoundChat, text: Any, name: Any = None, email: Any = None
    ) -> tuple[int, str]:
        """Open a conversation with its first message; returns its id and token.

        Raises:
            ValidationFailedError: a bad message, name or e-mail (nothing is stored).
        """
        chat = found.chat
        body = self.checked_text(found, text)
        data: dict[str, Any] = {"owner_id": None}
        if chat.visitor_name and isinstance(name, str) and name.strip():
            data[chat.visitor_name] = name.strip()
        if chat.visitor_email and isinstance(email, str) and email.strip():
            data[chat.visitor_email] = email.strip()
            linked = self.matching(found, email.strip())
            if linked is not None and chat.link_field:
                data[chat.link_field] = linked
        call = self._visitor(found)
        explained = self.services.records.dry_run(call, found.conversations, data, None, None)
        if explained.get("errors"):
            raise ValidationFailedError(dict(explained["errors"]))
        created = self.services.records.create(call, found.conversations, data).record
        record_id = int(created["id"])
        self._add(found, call, record_id, body, VISITOR)
        return record_id, self.token(found, record_id)

    def matching(self, found: FoundChat, email: str) -> int | None:
        """The id of the one live record whose ``link.match`` field equals ``email``
        (case aside), or None: no link declared, no record, or several (none is guessed)."""
        chat = found.chat
        if not chat.link_field or not chat.link_match:
            return None
        target = found.conversations.entity.fields[chat.link_field].to
        t = found.rt.app.entities[str(target)].table
        query = (
            sa.select(t.c.id)
            .where(sa.func.lower(t.c[chat.link_match]) == email.lower(), t.c.deleted_at.is_(None))
            .limit(2)
        )
        with self.runtime.engines.tenant_connection(found.tenant) as conn:
            rows = conn.execute(query).all()
        return int(rows[0][0]) if len(rows) == 1 else None

    def post(self, found: FoundChat, conversation_id: int, text: Any) -> dict[str, Any]:
        """The visitor writes ``text`` in their open conversation.

        Raises:
            ValidationFailedError: a bad message (nothing stored).
            ChatClosedError: the conversation is not open any more.
        """
        body = self.checked_text(found, text)
        self._require_open(found, conversation_id)
        return self._add(found, self._visitor(found), conversation_id, body, VISITOR)

    def answer(self, found: FoundChat, call: Call, conversation_id: int, text: Any) -> Any:
        """An agent answers (their own save: their role must allow creating messages).

        Raises:
            ValidationFailedError: a bad message (nothing stored).
            NotFoundError, ForbiddenError: the agent cannot read the conversation.
            ChatClosedError: the conversation is not open any more.
        """
        body = self.checked_text(found, text)
        self.services.records.read(call, found.conversations, conversation_id)
        self._require_open(found, conversation_id)
        return self._add(found, call, conversation_id, body, AGENT)

    def _require_open(self, found: FoundChat, conversation_id: int) -> None:
        if self.status(found, conversation_id) not in found.chat.open:
            raise ChatClosedError("This conversation is closed.")

    def _add(
        self, found: FoundChat, call: Call, conversation_id: int, body: str, sender: str
    ) -> dict[str, Any]:
        chat = found.chat
        data: dict[str, Any] = {chat.parent: conversation_id, chat.body: body, chat.sender: sender}
        if sender == VISITOR:
            data["owner_id"] = None
        record = self.services.records.create(call, found.messages, data).record
        return dict(record)

    def mail_transcript(self, found: FoundChat, conversation_id: int, locale: str) -> str:
        """Queue an e-mail of the conversation's transcript to the visitor's address (the
        one given when it started, never another); the job mails the messages stored when
        it runs. Returns the address.

        Raises:
            ValidationFailedError: the conversation has no e-mail address (``email``).
        """
        chat = found.chat
        t = found.conversations.table
        address = None
        if chat.visitor_email is not None:
            query = sa.select(t.c[chat.visitor_email]).where(t.c.id == conversation_id)
            with self.runtime.engines.tenant_connection(found.tenant) as conn:
                address = conn.execute(query).scalar()
        if not address:
            raise ValidationFailedError({"email": [NO_ADDRESS]})
        outbox = found.rt.app.metadata.tables[OUTBOX_TABLE]
        payload = {"record_id": conversation_id, "locale": locale}
        now = self.runtime.clock.now()
        row = {"kind": TRANSCRIPT_JOB, "payload": payload, "created_at": now, "state": "pending"}
        engines = self.runtime.engines
        with engines.tenant_connection(found.tenant, write=True) as conn, conn.begin():
            conn.execute(outbox.insert().values(**row))
            mark_outbox_write(conn)
        return str(address)

    def messages(self, found: FoundChat, conversation_id: int, after: int = 0) -> list[Any]:
        """The live messages of the conversation with an id above ``after``, oldest first:
        ``{id, sender, text, at}`` each."""
        chat = found.chat
        t = found.messages.table
        query = (
            sa.select(t.c.id, t.c[chat.sender], t.c[chat.body], t.c.created_at)
            .where(t.c[chat.parent] == conversation_id, t.c.deleted_at.is_(None), t.c.id > after)
            .order_by(t.c.id)
            .limit(MAX_READ)
        )
        with self.runtime.engines.tenant_connection(found.tenant) as conn:
            rows = conn.execute(query).all()
        return [{"id": r[0], "sender": r[1], "text": r[2], "at": _iso(r[3])} for r in rows]

    def open_conversations(self, found: FoundChat, call: Call) -> list[dict[str, Any]]:
        """The open conversations the agent may read, newest first (the queue)."""
        chat = found.chat
        values = ", ".join(json.dumps(v) for v in chat.open)
        args = ListArgs(filter=f"{chat.status} in ({values})", sort="-id", limit="100")
        return self.services.records.page(call, found.conversations, args, count=False).items


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


__all__ = [
    "EMPTY",
    "NO_ADDRESS",
    "ChatClosedError",
    "ChatTokenError",
    "FoundChat",
    "LiveChat",
    "too_long",
]
