"""What each outbox kind does: ``email``, ``webhook``, ``import``, ``export``, ``backup``
(and a no-op for benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from trellis.platform.backup.on_demand import run_backup_job
from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.imports.job import run_queued_import
from trellis.platform.jobs.chat_transcript_mail import TranscriptMailError, send_chat_transcript
from trellis.platform.jobs.deliveries import FAILED, SENT, SKIPPED, Delivery, record_delivery
from trellis.platform.jobs.egress import TargetRefusedError, policy_of
from trellis.platform.jobs.mail import (
    EmailError,
    build_message,
    render_email,
    send_message,
    template_context,
    template_path,
)
from trellis.platform.jobs.outbox import Job
from trellis.platform.jobs.settings import webhook_secret
from trellis.platform.jobs.smtp_config import smtp_for
from trellis.platform.jobs.webhooks import WebhookRefusedError, deliver_webhook
from trellis.platform.privacy.consents import may_contact
from trellis.platform.records.errors import RecordError

if TYPE_CHECKING:
    from trellis.platform.records.compiled import CompiledApp
    from trellis.platform.runtime import Runtime


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (missing template, no recipient): dead at once."""


class NoConsentError(Exception):
    """The consent ledger does not grant the e-mail's purpose: skipped, not sent."""

    def __init__(self, to: str, purpose: str) -> None:
        super().__init__(f"Not sent: no consent of the recipient for purpose '{purpose}'.")
        self.to = to


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler may use: the runtime, the tenant and its compiled app."""

    runtime: Runtime
    tenant: str
    app: CompiledApp

    def connect(self, *, write: bool = False) -> sa.Connection:
        """A connection to the tenant's data."""
        return self.runtime.engines.tenant_connection(self.tenant, write=write)

    def package_file(self, relative: str) -> str | None:
        """A file of the tenant's current published package, or None."""
        info = self.runtime.tenant(self.tenant)
        version = self.runtime.registry.get_version(info.id, self.app.version_no)
        return None if version is None else version.files.get(relative)

    def user_email(self, user_id: int) -> str | None:
        """The email address of a user of the system database."""
        users = self.runtime.registry.users
        with self.runtime.registry.connect() as conn:
            value = conn.execute(sa.select(users.c.email).where(users.c.id == user_id)).scalar()
        return None if value is None else str(value)

    def log(self, delivery: Delivery) -> None:
        """Append an attempt to the tenant's delivery log (own transaction)."""
        with self.connect(write=True) as conn, conn.begin():
            record_delivery(conn, self.app.metadata, delivery, self.runtime.clock.now())


Handler = Callable[[JobContext, Job], None]


def _recipient(ctx: JobContext, to: Any) -> str:
    if isinstance(to, int) and not isinstance(to, bool):
        address = ctx.user_email(to)
        if address is None:
            raise PermanentJobError(f"Email recipient: no user with id {to}.")
        return address
    if isinstance(to, str) and "@" in to:
        return to
    raise PermanentJobError(f"Email recipient '{to}' is not a user or an email address.")


def no_smtp_message(tenant: str) -> str:
    """Why an email of ``tenant`` is dead when no SMTP server is configured, and the fix."""
    return (
        f"No SMTP server is configured for tenant '{tenant}': run trellis tenant smtp "
        f"{tenant} --host … --port … (or set TRELLIS_SMTP_URL), then retry this job."
    )


def send_email(ctx: JobContext, job: Job) -> None:
    """Render the job's template with the record's fields and send it over SMTP."""
    payload = job.payload
    name = str(payload.get("template", ""))
    record_id = payload.get("record_id")
    entry: dict[str, Any] = {
        "kind": "email",
        "job_id": job.id,
        "attempt": job.attempts,
        "template": name,
        "rule": payload.get("rule"),
        "entity": payload.get("entity"),
        "record_id": record_id if isinstance(record_id, int) else None,
    }
    try:
        to, subject = _send_email(ctx, job, name)
    except NoConsentError as exc:
        ctx.log(Delivery(status=SKIPPED, target=exc.to, error=str(exc), **entry))
        return
    except Exception as exc:
        ctx.log(Delivery(status=FAILED, error=str(exc) or type(exc).__name__, **entry))
        raise
    ctx.log(Delivery(status=SENT, target=to, subject=subject, **entry))


def _template_source(ctx: JobContext, name: str, to: Any) -> str | None:
    """The template in the recipient's language: ``<name>.<locale>.j2``, else ``<name>.j2``.

    The locale is the recipient member's own setting, else the tenant's ``locale``.
    """
    locale = ctx.app.model.locale
    if isinstance(to, int) and not isinstance(to, bool):
        prefs = UserPreferences(ctx.runtime.registry, clock=ctx.runtime.clock)
        locale = prefs.locale(to) or locale
    if locale:
        localized = ctx.package_file(template_path(f"{name}.{locale}"))
        if localized is not None:
            return localized
    return ctx.package_file(template_path(name))


def _send_email(ctx: JobContext, job: Job, name: str) -> tuple[str, str]:
    """Render and send; returns the recipient and the subject."""
    payload = job.payload
    source = _template_source(ctx, name, payload.get("to"))
    if source is None:
        raise PermanentJobError(
            f"No email template '{name}' in the app package ({template_path(name)})."
        )
    record = dict(payload.get("record") or {})
    signed_link = link_maker(ctx, payload.get("entity"), payload.get("record_id"))
    context = template_context(
        record,
        rule=payload.get("rule"),
        tenant=ctx.tenant,
        signed_link=signed_link,
        tracked_url=tracked_url_maker(ctx, signed_link),
    )
    try:
        rendered = render_email(name, source, context)
    except EmailError as exc:
        raise PermanentJobError(str(exc)) from None
    to = _recipient(ctx, payload.get("to"))
    if rendered.purpose is not None:
        with ctx.connect(write=True) as conn, conn.begin():
            allowed = may_contact(conn, ctx.app.metadata, to, rendered.purpose)
        if not allowed:
            raise NoConsentError(to, rendered.purpose)
    settings = smtp_for(ctx.runtime, ctx.tenant)
    if settings is None:
        # Retrying cannot help until someone configures a server, and backoff would
        # hide the job for hours: dead at once, retried by hand once it is set up.
        raise PermanentJobError(no_smtp_message(ctx.tenant))
    message_id = f"<trellis-{ctx.tenant}-{job.id}@trellis.invalid>"
    send_message(settings, build_message(rendered, to, settings.sender, message_id))
    return to, rendered.subject


def link_maker(ctx: JobContext, entity: Any, record_id: Any) -> Any:
    """``signed_link("kind")`` for templates: the path ``/p/{tenant}/s/{token}`` of a new
    link of that kind to the mailed record (one per kind and e-mail), e.g.
    ``https://crm.example.com{{ signed_link("unsubscribe") }}``.
    """
    issued: dict[str, str] = {}

    def signed_link(kind: str, days: int | None = None) -> str:
        if not isinstance(record_id, int) or not isinstance(kind, str):
            raise PermanentJobError("signed_link() needs an e-mail about one record.")
        link = ctx.app.model.links.get(kind)
        if link is None or link.entity != entity:
            raise PermanentJobError(f"signed_link(): no link kind '{kind}' for {entity}.")
        if kind not in issued:
            try:
                # Imported here: public forms use the services, which use the job system.
                from trellis.platform.public.links import SignedLinks

                made = SignedLinks(ctx.runtime).issue(ctx.tenant, kind, record_id, days=days)
            except RecordError as exc:  # the record is gone, or days out of range
                raise PermanentJobError(f"signed_link(): {exc.message}") from None
            issued[kind] = made.as_json(ctx.tenant)["path"]
        return issued[kind]

    return signed_link


def tracked_url_maker(ctx: JobContext, signed_link: Any) -> Any:
    """``tracked_url("kind", "https://…")`` for templates: the path of the mailed record's
    ``redirect`` link of that kind, signed on to that address (a click stores the link's
    values, then goes there; any other address is refused)."""

    def tracked_url(kind: str, target: str) -> str:
        link = ctx.app.model.links.get(kind)
        if link is None or link.action != "redirect":
            raise PermanentJobError(f"tracked_url(): '{kind}' is not a redirect link kind.")
        token = str(signed_link(kind)).rsplit("/", 1)[-1]
        from trellis.platform.public.links import SignedLinks

        try:
            return SignedLinks(ctx.runtime).tracked_path(ctx.tenant, token, str(target))
        except RecordError as exc:
            raise PermanentJobError(f"tracked_url(): {exc.message}") from None

    return tracked_url


#: Why a webhook to a placeholder host was not sent.
PLACEHOLDER_NOTE = "not sent: the target host ends in .invalid (a disabled placeholder)"


def is_placeholder(url: str) -> bool:
    """Whether ``url`` is a disabled placeholder: its host ends in ``.invalid`` (RFC 2606).

    Templates ship webhooks to such hosts; a tenant enables one by changing its URL.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    return host == "invalid" or host.endswith(".invalid")


def send_webhook(ctx: JobContext, job: Job) -> None:
    """POST the job's payload, signed with the tenant's secret."""
    payload = job.payload
    with ctx.connect(write=True) as conn, conn.begin():
        secret = webhook_secret(conn, ctx.app.metadata)
    body = {
        "tenant": ctx.tenant,
        "event": payload.get("event"),
        "rule": payload.get("rule"),
        "entity": payload.get("entity"),
        "record_id": payload.get("record_id"),
        "record": payload.get("record"),
    }
    url = str(payload.get("url", ""))
    record_id = payload.get("record_id")
    entry: dict[str, Any] = {
        "kind": "webhook",
        "job_id": job.id,
        "attempt": job.attempts,
        "target": url,
        "rule": payload.get("rule"),
        "entity": payload.get("entity"),
        "record_id": record_id if isinstance(record_id, int) else None,
    }
    if is_placeholder(url):
        ctx.log(Delivery(status=SKIPPED, error=PLACEHOLDER_NOTE, **entry))
        return
    try:
        deliver_webhook(
            url,
            body,
            secret,
            f"{ctx.tenant}-{job.id}",
            sent_at=ctx.runtime.clock.now(),
            policy=policy_of(ctx.runtime.config),
        )
    except Exception as exc:
        ctx.log(Delivery(status=FAILED, error=str(exc) or type(exc).__name__, **entry))
        if isinstance(exc, WebhookRefusedError | TargetRefusedError):
            # A refused address stays refused: dead at once, retried by hand if allowed.
            raise PermanentJobError(str(exc)) from None
        raise
    ctx.log(Delivery(status=SENT, **entry))


def send_invite(ctx: JobContext, job: Job) -> None:
    """Mail a member invitation (platform/jobs/invitation_mail.py)."""
    # Imported here: invitations build on identity (two-factor), which imports this package.
    from trellis.platform.jobs.invitation_mail import (
        InvitationMailError,
        NoSmtpError,
        send_invitation,
    )

    try:
        send_invitation(ctx, job)
    except NoSmtpError:
        raise PermanentJobError(no_smtp_message(ctx.tenant)) from None
    except InvitationMailError as exc:
        raise PermanentJobError(str(exc)) from None


def send_transcript(ctx: JobContext, job: Job) -> None:
    """Mail a live chat's transcript to its visitor (platform/jobs/chat_transcript_mail.py)."""
    try:
        send_chat_transcript(ctx, job)
    except TranscriptMailError as exc:
        raise PermanentJobError(str(exc)) from None


def noop(_ctx: JobContext, _job: Job) -> None:
    """Do nothing (benchmarks and tests)."""


def run_import(ctx: JobContext, job: Job) -> None:
    """Run a queued file import (platform/imports): resumes after its last batch on retry."""
    run_queued_import(ctx.runtime, ctx.tenant, job.payload)


def run_export(ctx: JobContext, job: Job) -> None:
    """Write a queued export's file (platform/exports); a retry starts it again."""
    # Imported here: exports use the services, which use the job system.
    from trellis.platform.exports.runner import run_queued_export

    run_queued_export(ctx.runtime, ctx.tenant, job.payload)


def run_backup(ctx: JobContext, job: Job) -> None:
    """Write a backup a tenant admin asked for (platform/backup/on_demand.py)."""
    run_backup_job(ctx.runtime, ctx.tenant, job.payload)


DEFAULT_HANDLERS: dict[str, Handler] = {
    "email": send_email,
    "webhook": send_webhook,
    "invite": send_invite,
    "chat_transcript": send_transcript,
    "noop": noop,
    "import": run_import,
    "export": run_export,
    "backup": run_backup,
}

__all__ = [
    "DEFAULT_HANDLERS",
    "Handler",
    "JobContext",
    "PermanentJobError",
    "no_smtp_message",
    "send_email",
    "send_webhook",
]
