"""The job commands of the CLI: ``jobs run-due``, ``jobs status``, ``jobs retry``,
``tenant webhook-secret``, ``worker``; and the job thread started by ``serve``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from trellis.cli_text import N_, cli_translator
from trellis.platform.config import config_from_env

if TYPE_CHECKING:
    from trellis.platform.jobs import EmbeddedWorker
    from trellis.platform.runtime import Runtime

# Commands import what they use when they run, so that ``trellis --help`` stays fast.

WithDataDir = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
#: Columns of ``jobs status``.
#: queued (waiting for a first try), running, failed (waiting for a retry), scheduled
#: (timers, cron rules, SLA timers, reminders), dead, done, discarded.
STATUS_STATES = ("queued", "running", "failed", "scheduled", "dead", "done", "discarded")
#: The column titles of ``jobs status`` (spaces become ``_``: the table splits on spaces).
STATUS_TITLES = {
    "tenant": N_("tenant"),
    "queued": N_("jobs column: queued"),
    "running": N_("running"),
    "failed": N_("jobs column: failed"),
    "scheduled": N_("scheduled"),
    "dead": N_("dead"),
    "done": N_("jobs column: done"),
    "discarded": N_("discarded"),
}


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


@contextmanager
def _runtime(args: argparse.Namespace, now: datetime | None = None) -> Iterator[Runtime]:
    """The runtime of ``args``; with ``now``, its clock stands at ``now`` (``--now``)."""
    from trellis.platform.config import FakeClock
    from trellis.platform.runtime import Runtime

    clock = FakeClock(now) if now is not None else None
    runtime = Runtime(config_from_env(args.data_dir), clock=clock)
    try:
        yield runtime
    finally:
        runtime.close()


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            cli_translator().gettext(
                "--now has value '%(text)s'. Use an ISO date-time such as 2030-01-31T09:00:00Z.",
                text=text,
            )
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)  # naive: UTC


def cmd_run_due(args: argparse.Namespace) -> None:
    """Run every due timer and deliverable outbox row once, for every tenant."""
    from trellis.platform.jobs import Dispatcher

    # Everything the run does (e-mails, signed links, saved records) happens at --now.
    now = _parse_now(args.now)
    with _runtime(args, now) as runtime:
        report = Dispatcher(runtime).run_due(now)
    t = cli_translator()
    for name, done in sorted(report.tenants.items()):
        counts = t.gettext(
            "%(timers)s timers fired, %(done)s jobs done, %(failed)s failed (will retry), "
            "%(dead)s dead",
            timers=done.timers,
            done=done.done,
            failed=done.failed,
            dead=done.dead,
        )
        _out(f"{name}: {counts}")
    for name, error in sorted(report.errors.items()):
        _out(f"{name}: error: {error}")


def cmd_status(args: argparse.Namespace) -> None:
    """Print job counts per tenant and state."""
    from trellis.platform.jobs import job_counts

    with _runtime(args) as runtime:
        counts = job_counts(runtime)
    t = cli_translator()
    titles = (t.gettext(STATUS_TITLES[s]).replace(" ", "_") for s in ("tenant", *STATUS_STATES))
    _out(" ".join(titles))
    for name, by_state in sorted(counts.items()):
        _out(name + " " + " ".join(str(by_state.get(s, 0)) for s in STATUS_STATES))


def cmd_retry(args: argparse.Namespace) -> None:
    """Queue a dead or discarded job of a tenant again."""
    from trellis.platform.jobs import Outbox

    with _runtime(args) as runtime:
        outbox = Outbox(runtime.app(args.tenant).metadata)
        with runtime.engines.tenant_connection(args.tenant, write=True) as conn, conn.begin():
            done = outbox.retry(conn, args.job_id, runtime.clock.now())
        if not done:
            raise ValueError(
                cli_translator().gettext(
                    "Job %(id)s of tenant '%(tenant)s' cannot be retried.",
                    id=args.job_id,
                    tenant=args.tenant,
                )
            )
    _out(cli_translator().gettext("Job %(id)s queued again.", id=args.job_id))


def cmd_webhook_secret(args: argparse.Namespace) -> None:
    """Print the tenant's webhook secret alone on the last line."""
    from trellis.platform.jobs import webhook_secret

    with _runtime(args) as runtime:
        app = runtime.app(args.tenant)
        with runtime.engines.tenant_connection(args.tenant, write=True) as conn, conn.begin():
            secret = webhook_secret(conn, app.metadata)
    _out(secret)


def cmd_tenant_smtp(args: argparse.Namespace) -> None:
    """Store, show or clear the tenant's SMTP server; the password comes from a variable.

    ``--password-env`` names a variable the user chose (not a ``TRELLIS_*`` setting): it is
    read here, at the command line, never by the platform.
    """
    from trellis.platform.jobs.mail import EmailError
    from trellis.platform.jobs.smtp_config import clear_tenant_smtp, describe_smtp

    with _runtime(args) as runtime:
        runtime.tenant(args.tenant)
        try:
            if args.clear:
                clear_tenant_smtp(runtime, args.tenant)
            elif args.host is not None or args.port is not None:
                _set_smtp(runtime, args)
        except EmailError as exc:
            raise ValueError(str(exc)) from None
        _out(describe_smtp(runtime, args.tenant))


def _set_smtp(runtime: Runtime, args: argparse.Namespace) -> None:
    from trellis.platform.jobs.smtp_config import set_tenant_smtp

    if args.host is None or args.port is None:
        raise ValueError(
            cli_translator().gettext("trellis tenant smtp needs both --host and --port.")
        )
    password = None
    if args.password_env is not None:
        password = os.environ.get(args.password_env)
        if not password:
            raise ValueError(
                cli_translator().gettext(
                    "--password-env names '%(name)s', but that variable is not set.",
                    name=args.password_env,
                )
            )
        if not args.user:
            raise ValueError(cli_translator().gettext("--password-env needs --user as well."))
    set_tenant_smtp(
        runtime,
        args.tenant,
        host=args.host,
        port=args.port,
        tls=args.tls,
        user=args.user,
        password=password,
        sender=args.sender,
    )


def cmd_worker(args: argparse.Namespace) -> None:
    """Run an RQ worker (and a dispatching thread) on ``TRELLIS_REDIS_URL``."""
    from trellis.platform.jobs import JobPolicy
    from trellis.platform.jobs.rqueue import connect, queue_name, run_worker

    with _runtime(args) as runtime:
        url = runtime.config.redis_url
        if not url:
            raise ValueError(
                cli_translator().gettext("trellis worker needs Redis: set TRELLIS_REDIS_URL.")
            )
        runtime.start_invalidation()  # publishes elsewhere reach this worker at once
        queue = args.queue or queue_name(runtime.config)
        t = cli_translator()
        if args.burst:
            _out(t.gettext("Trellis worker on queue '%(queue)s' (burst)", queue=queue))
        else:
            _out(t.gettext("Trellis worker on queue '%(queue)s'", queue=queue))
        sys.stdout.flush()
        run_worker(
            runtime,
            connect(url),
            queue,
            burst=args.burst,
            dispatch=not args.no_dispatch,
            name=args.name,
            policy=JobPolicy(lease=args.lease) if args.lease else None,
        )


def add_job_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """Add ``jobs run-due``, ``jobs status`` and ``jobs retry``."""
    jobs = sub.add_parser("jobs", help="background jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    run = with_data_dir(jobs.add_parser("run-due", help="run due timers and outbox rows once"))
    run.add_argument("--now", default=None, help="ISO date-time taken as now")
    run.set_defaults(func=cmd_run_due)
    status = with_data_dir(jobs.add_parser("status", help="job counts per tenant and state"))
    status.set_defaults(func=cmd_status)
    retry = with_data_dir(jobs.add_parser("retry", help="queue a dead job again"))
    retry.add_argument("tenant", help="the tenant's name")
    retry.add_argument("job_id", type=int, help="the dead job's id (jobs status lists them)")
    retry.set_defaults(func=cmd_retry)
    worker = with_data_dir(sub.add_parser("worker", help="run an RQ job worker (needs Redis)"))
    worker.add_argument("--queue", default=None, help="RQ queue (default: $TRELLIS_RQ_QUEUE)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.add_argument(
        "--no-dispatch", action="store_true", help="only run queued jobs, claim no rows"
    )
    worker.add_argument("--name", default=None, help="worker name shown by RQ")
    worker.add_argument(
        "--lease", type=float, default=None, help="seconds a running row is held (default 300)"
    )
    worker.set_defaults(func=cmd_worker)


def add_tenant_job_commands(
    tenant: argparse._SubParsersAction[argparse.ArgumentParser], with_data_dir: WithDataDir
) -> None:
    """Add ``tenant webhook-secret`` and ``tenant smtp``."""
    secret = with_data_dir(tenant.add_parser("webhook-secret", help="print the webhook secret"))
    secret.add_argument("tenant", help="the tenant's name")
    secret.set_defaults(func=cmd_webhook_secret)
    smtp = with_data_dir(tenant.add_parser("smtp", help="set the tenant's SMTP server"))
    smtp.add_argument("tenant", help="the tenant's name")
    smtp.add_argument("--host", default=None, help="SMTP server host")
    smtp.add_argument("--port", type=int, default=None, help="SMTP server port")
    smtp.add_argument("--tls", action="store_true", help="TLS (implicit on 465, else STARTTLS)")
    smtp.add_argument("--user", default=None, help="SMTP user name")
    smtp.add_argument(
        "--password-env", default=None, help="environment variable holding the password"
    )
    smtp.add_argument("--from", dest="sender", default=None, help="sender address")
    smtp.add_argument("--clear", action="store_true", help="use TRELLIS_SMTP_URL again")
    smtp.set_defaults(func=cmd_tenant_smtp)


def start_embedded_worker(runtime: Runtime) -> EmbeddedWorker:
    """Start the in-process job thread of ``serve``.

    Without Redis it delivers rows itself; with ``TRELLIS_REDIS_URL`` it claims due
    rows and enqueues them for ``trellis worker`` processes.
    """
    from trellis.platform.jobs import Dispatcher, EmbeddedWorker

    if runtime.config.redis_url:
        from rq import Queue

        from trellis.platform.jobs.rqueue import RedisDispatcher, connect, queue_name

        queue = Queue(queue_name(runtime.config), connection=connect(runtime.config.redis_url))
        return EmbeddedWorker(RedisDispatcher(runtime, queue)).start()
    return EmbeddedWorker(Dispatcher(runtime)).start()


__all__ = ["add_job_commands", "add_tenant_job_commands", "start_embedded_worker"]
