"""The live chat's save hook: the transcript on closing, the agents told of a new chat.

Before a conversation's write that takes its status out of the ``open`` values, the
``transcript`` field (when ``chat:`` declares one) gets every message, oldest first, one
line each (``Visitor: …`` / ``Agent: …``), so a rule turning the conversation into
another record can copy it. After a conversation is created, each member with a role
of ``notify`` gets a notification (kind ``chat``) in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from trellis.metadata.model import ChatDef
from trellis.metadata.model.chat import VISITOR
from trellis.metadata.model.local_text import DEFAULT_LOCALE, Translatable
from trellis.platform.i18n import Translator
from trellis.platform.notifications import add_notification
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import SaveEvent

#: The longest transcript kept in the field (the newest lines are dropped beyond it).
MAX_TRANSCRIPT = 60_000


def transcript_text(app: CompiledApp, chat: ChatDef, conn: sa.Connection, record_id: int) -> str:
    """The conversation's live messages as text, one ``Sender: text`` line each."""
    t = app.entities[chat.message_entity].table
    query = (
        sa.select(t.c[chat.sender], t.c[chat.body])
        .where(t.c[chat.parent] == record_id, t.c.deleted_at.is_(None))
        .order_by(t.c.id)
    )
    tr = Translator(app.model.locale or DEFAULT_LOCALE)
    who = {True: tr.message(Translatable("Visitor")), False: tr.message(Translatable("Agent"))}
    lines = [f"{who[sender == VISITOR]}: {body}" for sender, body in conn.execute(query)]
    return "\n".join(lines)[:MAX_TRANSCRIPT]


class ChatHook:
    """Fills the transcript when a conversation closes; notifies of new conversations."""

    def __init__(self, app: CompiledApp, chat: ChatDef) -> None:
        self.app = app
        self.chat = chat

    def before_write(self, event: SaveEvent) -> None:
        """Copy the transcript into its field when the status leaves the open values."""
        chat = self.chat
        if event.entity.name != chat.entity or not chat.transcript or event.old is None:
            return
        if event.op == "delete" or not event.changed(chat.status):
            return
        if event.record.get(chat.status) in chat.open:
            return
        text = transcript_text(self.app, chat, event.ctx.conn, int(event.old["id"]))
        event.record[chat.transcript] = text
        event.explain("chat", chat.transcript, "transcript", {chat.transcript: len(text)})

    def after_write(self, event: SaveEvent) -> None:
        """Tell the members of the ``notify`` roles about a new conversation."""
        if event.entity.name != self.chat.entity or event.op != "create" or not self.chat.notify:
            return
        lookup = self.app.members
        if lookup is None:
            return
        users = sorted({u for role in self.chat.notify for u in lookup(role)})
        entity = event.entity.entity
        record_id = int(event.record["id"])
        title = event.record.get(entity.title) if entity.title else None
        text = Translator(self.app.model.locale or DEFAULT_LOCALE).message(
            Translatable(
                "New chat: %(entity)s %(title)s",
                entity=entity.label,
                title=title or f"#{record_id}",
            )
        )
        for user_id in users:
            add_notification(
                event.ctx.conn,
                self.app.metadata,
                user_id=user_id,
                text=text,
                kind="chat",
                at=event.ctx.now,
                entity=entity.name,
                record_id=record_id,
            )
        event.explain("notification", "chat", "notified", {"users": users})


def chat_hook(app: CompiledApp) -> ChatHook | None:
    """The chat hook of ``app`` (None without a ``chat:`` that fills or notifies)."""
    chat = app.model.chat
    if chat is None or not (chat.transcript or chat.notify):
        return None
    return ChatHook(app, chat)


__all__ = ["MAX_TRANSCRIPT", "ChatHook", "chat_hook", "transcript_text"]
