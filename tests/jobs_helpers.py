"""Helpers of the job tests: a tenant with rules and email templates, local SMTP and HTTP."""

from __future__ import annotations

import http.server
import os
import socket
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from rq.timeouts import TimerDeathPenalty

from trellis.cli import main
from trellis.platform.config import RuntimeConfig
from trellis.platform.config.env import VARIABLES
from trellis.platform.jobs.rqueue import PromptWorker
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

DEAL = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true}
      amount: {type: integer, min: 0}
      close: {type: date}
"""
BIG_DEAL = """{% block subject %}Big deal: {{ name }}{% endblock %}
{% block text %}Deal {{ name }} is worth {{ amount }}.{% endblock %}
{% block html %}<p>Deal <b>{{ name }}</b></p>{% endblock %}
"""
REMINDER = """{% block subject %}Closing soon: {{ name }}{% endblock %}
{% block text %}{{ name }} closes on {{ close }}.{% endblock %}
"""


def rules(hook_url: str) -> str:
    """The rules of the job test package; webhooks go to ``hook_url``."""
    return f"""
rule "Big deal"
  on deal created
  when amount >= 1000
  then send email "big_deal" to owner; webhook "{hook_url}"
end

rule "Remind"
  on deal before 1 days from close
  when amount >= 10
  then send email "reminder" to owner; notify owner "Close {{{{ name }}}} soon"
end
"""


def make_jobs_tenant(
    runtime: Runtime, tmp_path: Path, name: str = "jobs", hook_url: str = "http://127.0.0.1:9/h"
) -> str:
    """Create tenant ``name`` with deals, rules and email templates; returns an admin token."""
    root = tmp_path / f"pkg-{name}"
    (root / "entities").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "email_templates").mkdir()
    (root / "app.yaml").write_text("name: jobsapp\nversion: 1.0.0\nlabel: Jobs\n")
    (root / "entities" / "deal.yaml").write_text(textwrap.dedent(DEAL).lstrip())
    (root / "rules" / "jobs.rules").write_text(rules(hook_url))
    (root / "email_templates" / "big_deal.j2").write_text(BIG_DEAL)
    (root / "email_templates" / "reminder.j2").write_text(REMINDER)
    runtime.registry.create_tenant(name)
    publish(runtime, name, root)
    user = runtime.registry.ensure_user(f"admin@{name}.test", "correct horse battery")
    runtime.registry.add_membership(name, user, ["admin"])
    return runtime.registry.create_token(name, f"admin@{name}.test")


def rows(runtime: Runtime, tenant: str, table: str) -> list[dict[str, Any]]:
    """Every row of an internal table, by id."""
    t = runtime.app(tenant).metadata.tables[table]
    with runtime.engines.tenant_connection(tenant) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


class ThreadWorker(PromptWorker):
    """An RQ worker that runs in a thread of the test (STACK.md §5: no signal handlers).

    A :class:`PromptWorker`: RQ's own command listener waits up to 60 s for a message and
    a burst worker's teardown joins it, which held some ``work()`` calls for a minute.
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[list[tuple[list[str], Message]]]:
    """A real local SMTP server (aiosmtpd); yields the list of arrived messages."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield inbox.messages
    finally:
        controller.stop()


@dataclass
class Hooks:
    """Requests received by the local webhook server; ``status`` is what it answers."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200


@contextmanager
def webhook_server() -> Iterator[Hooks]:
    """A local HTTP server on 127.0.0.1 that records POSTs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    hooks = Hooks(f"http://127.0.0.1:{server.server_address[1]}/hook")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hooks.received.append((dict(self.headers.items()), body))
            self.send_response(hooks.status)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks
    finally:
        server.shutdown()
        server.server_close()


def use_setting(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, name: str, value: str | None
) -> None:
    """Set (None: unset) ``TRELLIS_*`` variable ``name`` as a deployment would before starting.

    CLI runs (:func:`run_cli`) read it from the environment; the running ``runtime`` gets
    the same setting, as if it had been started with it (it reads none at run time).
    """
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)
    [field] = [v.field for v in VARIABLES if v.name == name and v.field is not None]
    read = RuntimeConfig.from_env(runtime.config.data_dir)
    configured = runtime.config.with_overrides(**{field: getattr(read, field)})
    monkeypatch.setattr(runtime, "config", configured)


def run_cli(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str]:
    """Run ``trellis`` in-process against ``runtime``'s databases; returns (code, stdout)."""
    config = runtime.config
    for key in [k for k in os.environ if k.startswith("TRELLIS_") and "DATABASE" in k]:
        monkeypatch.delenv(key)
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    capsys.readouterr()
    argv = [*args, "--data-dir", str(config.data_dir)]
    code = main(argv)
    return code, capsys.readouterr().out


def enqueue_rows(
    runtime: Runtime,
    tenant: str,
    n: int,
    kind: str = "noop",
    payload: dict[str, Any] | None = None,
) -> None:
    """Insert ``n`` pending outbox rows of ``kind`` (payload ``{"n": i}`` unless given)."""
    outbox = runtime.app(tenant).metadata.tables["_outbox"]
    now = datetime.now(UTC)
    values = [
        {"kind": kind, "payload": payload or {"n": i}, "created_at": now, "state": "pending"}
        for i in range(n)
    ]
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        conn.execute(outbox.insert(), values)
