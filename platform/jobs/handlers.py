"""What each outbox kind does: ``email`` and ``webhook`` (and a no-op for benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.jobs.mail import (
    EmailError,
    build_message,
    default_smtp,
    render_email,
    send_message,
    template_path,
)
from trellis.platform.jobs.outbox import Job
from trellis.platform.jobs.settings import webhook_secret
from trellis.platform.jobs.webhooks import deliver_webhook

if TYPE_CHECKING:
    from trellis.platform.records.compiled import CompiledApp
    from trellis.platform.runtime import Runtime


class PermanentJobError(Exception):
    """A failure that retrying cannot fix (missing template, no recipient): dead at once."""


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


def send_email(ctx: JobContext, job: Job) -> None:
    """Render the job's template with the record's fields and send it over SMTP."""
    payload = job.payload
    name = str(payload.get("template", ""))
    source = ctx.package_file(template_path(name))
    if source is None:
        raise PermanentJobError(
            f"No email template '{name}' in the app package ({template_path(name)})."
        )
    record = dict(payload.get("record") or {})
    context = {**record, "record": record, "rule": payload.get("rule"), "tenant": ctx.tenant}
    try:
        rendered = render_email(name, source, context)
    except EmailError as exc:
        raise PermanentJobError(str(exc)) from None
    to = _recipient(ctx, payload.get("to"))
    settings = default_smtp()
    if settings is None:
        raise EmailError("No SMTP server is configured: set TRELLIS_SMTP_URL.")
    message_id = f"<trellis-{ctx.tenant}-{job.id}@trellis.invalid>"
    send_message(settings, build_message(rendered, to, settings.sender, message_id))


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
    deliver_webhook(str(payload.get("url", "")), body, secret, f"{ctx.tenant}-{job.id}")


def noop(_ctx: JobContext, _job: Job) -> None:
    """Do nothing (benchmarks and tests)."""


DEFAULT_HANDLERS: dict[str, Handler] = {"email": send_email, "webhook": send_webhook, "noop": noop}

__all__ = [
    "DEFAULT_HANDLERS",
    "Handler",
    "JobContext",
    "PermanentJobError",
    "send_email",
    "send_webhook",
]
