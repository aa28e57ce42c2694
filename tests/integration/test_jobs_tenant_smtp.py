"""Per-tenant SMTP servers (encrypted password) and the email/webhook delivery log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.jobs import Dispatcher
from trellis.platform.jobs.crypto import decrypt
from trellis.platform.jobs.smtp_config import tenant_smtp
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import (
    free_port,
    make_jobs_tenant,
    run_cli,
    smtp_server,
    use_setting,
    webhook_server,
)


@pytest.fixture(autouse=True)
def _private_webhooks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "runtime" in request.fixturenames:
        runtime = request.getfixturevalue("runtime")
        use_setting(runtime, monkeypatch, "TRELLIS_WEBHOOK_ALLOW_PRIVATE", "1")


class _AuthInbox:
    """An SMTP handler that records messages and the credentials they came with."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def authenticate(
        self, _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login = (data.login.decode(), data.password.decode())
            self.logins.append(login)
            return AuthResult(success=login == ("mailer", "s3cret pass"))
        return AuthResult(success=False)


@contextmanager
def auth_smtp_server(port: int) -> Iterator[_AuthInbox]:
    """A real SMTP server offering AUTH over plain TCP (the client logs in when it has a user)."""
    inbox = _AuthInbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def test_tenant_smtp_server_receives_the_mail_with_its_credentials(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    default_port, own_port = free_port(), free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{default_port}")
    monkeypatch.setenv("MAIL_PW", "s3cret pass")
    api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path))
    code, out = run_cli(
        runtime, monkeypatch, capsys, "tenant", "smtp", "jobs", "--host", "127.0.0.1",
        "--port", str(own_port), "--user", "mailer", "--password-env", "MAIL_PW",
        "--from", "crm@jobs.test",
    )  # fmt: skip
    assert code == 0
    assert out.strip() == f"jobs: 127.0.0.1:{own_port} plain user mailer"
    # The password is stored encrypted in the system database.
    table = runtime.registry.metadata.tables["tenant_smtp"]
    with runtime.registry.connect() as conn:
        stored = conn.execute(sa.select(table.c.password_encrypted)).scalar_one()
    assert "s3cret" not in stored
    assert decrypt(runtime.config, stored) == "s3cret pass"
    assert api.post("deal", json={"name": "Own server", "amount": 5000}).status_code == 201
    with auth_smtp_server(own_port) as own, smtp_server(default_port) as default_inbox:
        report = Dispatcher(runtime).run_due().tenants["jobs"]
    assert (report.done, report.failed) == (1, 1)  # the email; the webhook has no server
    assert default_inbox == []
    assert own.logins == [("mailer", "s3cret pass")]
    assert len(own.messages) == 1
    rcpt, content = own.messages[0]
    assert rcpt == ["admin@jobs.test"]
    assert b"From: crm@jobs.test" in content
    assert b"Subject: Big deal: Own server" in content
    # The log shows the sent email.
    log = api.get("_emails").json()
    assert [(e["status"], e["to"], e["subject"], e["template"]) for e in log["items"]] == [
        ("sent", "admin@jobs.test", "Big deal: Own server", "big_deal")
    ]
    assert log["items"][0]["entity"] == "deal"
    assert log["items"][0]["record_id"] == 1
    # --clear falls back to TRELLIS_SMTP_URL.
    code, out = run_cli(runtime, monkeypatch, capsys, "tenant", "smtp", "jobs", "--clear")
    assert (code, out.strip()) == (0, f"jobs: TRELLIS_SMTP_URL 127.0.0.1:{default_port}")
    assert tenant_smtp(runtime, "jobs") is None


def test_tls_flag_means_starttls_except_on_465(
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_jobs_tenant(runtime, tmp_path)
    args = ("tenant", "smtp", "jobs", "--host", "mail.example.com", "--tls")
    assert run_cli(runtime, monkeypatch, capsys, *args, "--port", "587")[0] == 0
    settings = tenant_smtp(runtime, "jobs")
    assert settings is not None
    assert (settings.starttls, settings.ssl, settings.password) == (True, False, None)
    code, out = run_cli(runtime, monkeypatch, capsys, *args, "--port", "465")
    assert (code, out.strip()) == (0, "jobs: mail.example.com:465 tls")
    settings = tenant_smtp(runtime, "jobs")
    assert settings is not None
    assert (settings.starttls, settings.ssl) == (False, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "h", "--port", "0"), "SMTP port 0 is not valid: use 1 to 65535."),
        (("--host", "h"), "trellis tenant smtp needs both --host and --port."),
        (
            ("--host", "h", "--port", "25", "--user", "u", "--password-env", "NOPE_UNSET"),
            "--password-env names 'NOPE_UNSET', but that variable is not set.",
        ),
        (("--host", "h", "--port", "25", "--password-env", "MAIL_PW"), "needs --user as well"),
        (("--host", "bad host", "--port", "25"), "SMTP host 'bad host' is not valid."),
    ],
)
def test_tenant_smtp_refuses_bad_input(
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    make_jobs_tenant(runtime, tmp_path)
    monkeypatch.setenv("MAIL_PW", "pw")
    code, err = _run_failing(runtime, monkeypatch, capsys, "tenant", "smtp", "jobs", *args)
    assert code == 1
    assert message in err
    assert tenant_smtp(runtime, "jobs") is None


def _run_failing(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str]:
    """Run the CLI in-process; returns (code, stderr)."""
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    capsys.readouterr()
    code = main([*args, "--data-dir", str(runtime.config.data_dir)])
    return code, capsys.readouterr().err


def test_tenant_smtp_unknown_tenant_fails(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("tenant", "smtp", "ghost", "--host", "h", "--port", "25")
    code, err = _run_failing(runtime, monkeypatch, capsys, *args)
    assert (code, err.strip()) == (1, "error: No tenant 'ghost'.")


def test_failed_attempts_and_webhooks_are_logged_for_admins_only(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_setting(
        runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{free_port()}"
    )  # nobody there
    with webhook_server() as hooks:
        api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=hooks.url))
        assert api.post("deal", json={"name": "Down", "amount": 5000}).status_code == 201
        report = Dispatcher(runtime).run_due()
    assert (report.tenants["jobs"].done, report.tenants["jobs"].failed) == (1, 1)
    code, out = run_cli(runtime, monkeypatch, capsys, "jobs", "status")
    assert code == 0
    header, line = (row.split() for row in out.strip().splitlines()[:2])
    assert dict(zip(header, line, strict=True)) == {
        "tenant": "jobs",
        "queued": "0",
        "running": "0",
        "failed": "1",  # the email waits for its retry
        "scheduled": "0",
        "dead": "0",
        "done": "1",
        "discarded": "0",
    }
    emails = api.get("_emails").json()["items"]
    assert len(emails) == 1
    assert emails[0]["status"] == "failed"
    assert emails[0]["attempt"] == 1
    assert emails[0]["error"].startswith("SMTP 127.0.0.1:")
    assert api.get("_emails?status=sent").json()["items"] == []
    hooks_log = api.get("_webhooks").json()["items"]
    assert [(h["status"], h["url"], h["rule"]) for h in hooks_log] == [
        ("sent", hooks.url, "Big deal")
    ]
    assert api.get("_emails?status=maybe").status_code == 400
    assert api.get("_emails?limit=0").status_code == 400
    user = runtime.registry.ensure_user("rep@jobs.test", "correct horse battery")
    runtime.registry.add_membership("jobs", user, [])
    rep = Api(client, "jobs", runtime.registry.create_token("jobs", "rep@jobs.test"))
    for path in ("_emails", "_webhooks"):
        answer = rep.get(path)
        assert answer.status_code == 403
        assert "Only tenant admins may see the" in answer.text
