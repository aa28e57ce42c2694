"""The ``chat_transcript`` job: mail a live chat's transcript to its visitor.

A visitor asks for it from the conversation page (``POST /p/{t}/chat/{token}/transcript``,
docs/chat.md); the job carries the conversation id and the visitor's language, and mails
every message stored when it runs (``You: …``/``Agent: …`` lines, oldest first) to the
e-mail address the visitor gave when the conversation started, never another one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.metadata.model import ChatDef
from trellis.metadata.model.chat import VISITOR
from trellis.platform.i18n import Translator
from trellis.platform.jobs.deliveries import FAILED, SENT, Delivery
from trellis.platform.jobs.mail import RenderedEmail, build_message, send_message
from trellis.platform.jobs.outbox import Job
from trellis.platform.jobs.smtp_config import smtp_for
from trellis.platform.records.compiled import CompiledApp

if TYPE_CHECKING:
    from trellis.platform.jobs.handlers import JobContext

#: The outbox job kind that mails a transcript.
JOB_KIND = "chat_transcript"
#: The most messages one transcript e-mail holds (the oldest ones are kept).
MAX_MESSAGES = 2000


class TranscriptMailError(Exception):
    """The transcript cannot be mailed and retrying will not help."""


def transcript_lines(
    app: CompiledApp, chat: ChatDef, conn: sa.Connection, record_id: int, tr: Translator
) -> list[str]:
    """The conversation's live messages, oldest first: ``You: …`` or ``Agent: …`` each."""
    t = app.entities[chat.message_entity].table
    query = (
        sa.select(t.c[chat.sender], t.c[chat.body])
        .where(t.c[chat.parent] == record_id, t.c.deleted_at.is_(None))
        .order_by(t.c.id)
        .limit(MAX_MESSAGES)
    )
    who = {True: tr.gettext("You"), False: tr.gettext("Agent")}
    return [f"{who[sender == VISITOR]}: {body}" for sender, body in conn.execute(query)]


def transcript_email(
    tr: Translator, *, tenant_label: str, started: datetime | None, lines: list[str]
) -> RenderedEmail:
    """The subject and text of a transcript in ``tr``'s language."""
    _ = tr.gettext
    subject = _("Your conversation with %(tenant)s", tenant=tenant_label)
    intro = (
        _("Here is your conversation of %(when)s:", when=tr.datetime(started))
        if started is not None
        else _("Here is your conversation:")
    )
    text = [intro, "", *lines, "", _("Thank you for contacting us.")]
    return RenderedEmail(subject, "\n".join(text), None)


def send_chat_transcript(ctx: JobContext, job: Job) -> None:
    """Mail the transcript of ``job.payload["record_id"]`` to its visitor's address.

    Raises:
        TranscriptMailError: no chat, no such conversation, no address or no SMTP server.
    """
    chat = ctx.app.model.chat
    raw_id = job.payload.get("record_id")
    entry: dict[str, Any] = {"kind": "email", "job_id": job.id, "attempt": job.attempts,
                             "template": JOB_KIND}  # fmt: skip
    if chat is None or chat.visitor_email is None or not isinstance(raw_id, int):
        raise TranscriptMailError(f"No conversation {raw_id} with a visitor's e-mail.")
    entry.update(entity=chat.entity, record_id=raw_id)
    table = ctx.app.entities[chat.entity].table
    locale = str(job.payload.get("locale") or ctx.app.model.locale or "en")
    tr = Translator(locale, ctx.app.model.timezone)
    with ctx.connect() as conn:
        row = conn.execute(
            sa.select(table.c[chat.visitor_email], table.c.created_at).where(
                table.c.id == raw_id, table.c.deleted_at.is_(None)
            )
        ).first()
        lines = transcript_lines(ctx.app, chat, conn, raw_id, tr) if row is not None else []
    if row is None or not row[0]:
        raise TranscriptMailError(f"No conversation {raw_id} with a visitor's e-mail.")
    settings = smtp_for(ctx.runtime, ctx.tenant)
    if settings is None:
        raise TranscriptMailError(f"No SMTP server is configured for tenant '{ctx.tenant}'.")
    label = ctx.runtime.tenant(ctx.tenant).label or ctx.tenant
    rendered = transcript_email(tr, tenant_label=label, started=row[1], lines=lines)
    message_id = f"<trellis-{ctx.tenant}-{job.id}@trellis.invalid>"
    to = str(row[0])
    try:
        send_message(settings, build_message(rendered, to, settings.sender, message_id))
    except Exception as exc:
        ctx.log(Delivery(status=FAILED, target=to, error=str(exc) or type(exc).__name__, **entry))
        raise
    ctx.log(Delivery(status=SENT, target=to, subject=rendered.subject, **entry))


__all__ = [
    "JOB_KIND",
    "MAX_MESSAGES",
    "TranscriptMailError",
    "send_chat_transcript",
    "transcript_email",
    "transcript_lines",
]
