"""The ``invite`` job: mail an invitation's link in the invitation's language.

The job carries the invitation id and the address the admin used (its scheme and host
start the link); the signed token is made again here from the row, so the outbox never
holds a usable link. An invitation already used, replaced or expired is not mailed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.i18n import Translator
from trellis.platform.jobs.deliveries import FAILED, SENT, SKIPPED, Delivery
from trellis.platform.jobs.mail import RenderedEmail, build_message, send_message
from trellis.platform.jobs.outbox import Job
from trellis.platform.jobs.smtp_config import smtp_for
from trellis.platform.people.invitations import JOB_KIND, Invitation, Invitations

if TYPE_CHECKING:
    from trellis.platform.jobs.handlers import JobContext


class InvitationMailError(Exception):
    """The invitation cannot be mailed and retrying will not help."""


class NoSmtpError(InvitationMailError):
    """No SMTP server is configured for the tenant."""


def invitation_email(
    translator: Translator, invitation: Invitation, *, tenant_label: str, link: str
) -> RenderedEmail:
    """The subject and text of an invitation in ``translator``'s language."""
    _ = translator.gettext
    subject = _("You are invited to %(tenant)s", tenant=tenant_label)
    lines = [
        _(
            "%(inviter)s invites you to join %(tenant)s.",
            inviter=invitation.invited_by,
            tenant=tenant_label,
        ),
        "",
        _(
            "Open this link to accept (it works once, until %(when)s):",
            when=translator.datetime(invitation.expires_at),
        ),
        link,
        "",
        _("If you did not expect this invitation, you can ignore this e-mail."),
    ]
    return RenderedEmail(subject, "\n".join(lines), None)


def send_invitation(ctx: JobContext, job: Job) -> None:
    """Mail the invitation of ``job.payload["invitation_id"]`` (skipped when no longer open)."""
    invitations = Invitations(ctx.runtime)
    raw_id = job.payload.get("invitation_id")
    found = invitations.get(raw_id) if isinstance(raw_id, int) else None
    entry: dict[str, Any] = {
        "kind": "email",
        "job_id": job.id,
        "attempt": job.attempts,
        "template": JOB_KIND,
    }
    if found is None:
        raise InvitationMailError(f"No invitation with id {raw_id}.")
    invitation, still_open = found
    if not still_open:
        note = "not sent: the invitation was used, replaced or has expired"
        ctx.log(Delivery(status=SKIPPED, target=invitation.email, error=note, **entry))
        return
    settings = smtp_for(ctx.runtime, ctx.tenant)
    if settings is None:
        raise NoSmtpError(ctx.tenant)
    base = str(job.payload.get("base_url") or "")
    link = base + invitations.path(ctx.tenant, invitation)
    label = ctx.runtime.tenant(ctx.tenant).label
    locale = invitation.locale or ctx.app.model.locale or "en"
    translator = Translator(locale, ctx.app.model.timezone)
    rendered = invitation_email(translator, invitation, tenant_label=label, link=link)
    message_id = f"<trellis-{ctx.tenant}-{job.id}@trellis.invalid>"
    try:
        send_message(
            settings, build_message(rendered, invitation.email, settings.sender, message_id)
        )
    except Exception as exc:
        failed = str(exc) or type(exc).__name__
        ctx.log(Delivery(status=FAILED, target=invitation.email, error=failed, **entry))
        raise
    ctx.log(Delivery(status=SENT, target=invitation.email, subject=rendered.subject, **entry))


__all__ = ["InvitationMailError", "NoSmtpError", "invitation_email", "send_invitation"]
