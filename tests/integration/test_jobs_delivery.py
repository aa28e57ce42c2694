"""Email over a real local SMTP server, signed webhooks to a local HTTP server, timers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.jobs import Dispatcher, verify
from trellis.platform.jobs.egress import policy_of
from trellis.platform.jobs.webhooks import WebhookError, check_target
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import (
    free_port,
    make_jobs_tenant,
    rows,
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


def test_rule_email_and_signed_webhook_arrive_once(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with webhook_server() as hooks:
        port = free_port()
        use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
        api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=hooks.url))
        assert api.post("deal", json={"name": "Acme & co", "amount": 5000}).status_code == 201
        with smtp_server(port) as inbox:
            report = Dispatcher(runtime).run_due()
            assert report.tenants["jobs"].done == 2
            assert Dispatcher(runtime).run_due().tenants["jobs"].done == 0  # nothing twice
        assert len(inbox) == 1
        to, message = inbox[0]
        assert to == ["admin@jobs.test"]
        assert message["Subject"] == "Big deal: Acme & co"
        assert message["Message-ID"].startswith("<trellis-jobs-")
        parts = {p.get_content_type(): p.get_payload(decode=True) for p in message.walk()}
        assert parts["text/plain"].decode().strip() == "Deal Acme & co is worth 5000."
        assert b"<b>Acme &amp; co</b>" in parts["text/html"]
        assert len(hooks.received) == 1
        headers, body = hooks.received[0]
        code, out = run_cli(runtime, monkeypatch, capsys, "tenant", "webhook-secret", "jobs")
        assert code == 0
        secret = out.strip().splitlines()[-1]
        timestamp = headers["X-Trellis-Timestamp"]
        assert timestamp.isdigit()
        assert headers["X-Trellis-Signature"].startswith("sha256=")
        assert verify(secret, timestamp, body, headers["X-Trellis-Signature"])
        assert not verify("wrong", timestamp, body, headers["X-Trellis-Signature"])
        data = json.loads(body)
        assert (data["event"], data["rule"], data["record"]["name"]) == (
            "created",
            "Big deal",
            "Acme & co",
        )
    assert [r["state"] for r in rows(runtime, "jobs", "_outbox")] == ["done", "done"]


def test_smtp_down_retries_then_dead_then_manual_retry_succeeds(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    with webhook_server() as hooks:
        api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=hooks.url))
        api.post("deal", json={"name": "Down", "amount": 5000})
        for now in (
            "2030-01-01T00:00:00Z",
            "2030-01-01T01:00:00Z",
            "2030-01-01T03:00:00Z",
            "2030-01-01T06:00:00Z",
            "2030-01-01T12:00:00Z",
        ):
            assert run_cli(runtime, monkeypatch, capsys, "jobs", "run-due", "--now", now)[0] == 0
    email = next(r for r in rows(runtime, "jobs", "_outbox") if r["kind"] == "email")
    assert (email["state"], email["attempts"]) == ("dead", 5)
    assert "Connection refused" in email["last_error"] or "SMTP" in email["last_error"]
    dead = api.get("_jobs?state=dead").json()["items"]
    assert [j["id"] for j in dead] == [email["id"]]
    code, out = run_cli(runtime, monkeypatch, capsys, "jobs", "status")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "tenant",
        "queued",
        "running",
        "failed",
        "scheduled",
        "dead",
        "done",
        "discarded",
    ]
    assert out.splitlines()[1].split() == ["jobs", "0", "0", "0", "0", "1", "1", "0"]
    with smtp_server(port) as inbox:
        assert api.post(f"_jobs/{email['id']}/retry").status_code == 200
        Dispatcher(runtime).run_due()
    assert [m["Subject"] for _, m in inbox] == ["Big deal: Down"]
    assert api.get("_jobs?state=dead").json()["items"] == []


def test_no_smtp_server_is_dead_at_once_and_sends_when_retried_after_set_up(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", None)
    with webhook_server() as hooks:
        api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path, hook_url=hooks.url))
        api.post("deal", json={"name": "Nowhere", "amount": 5000})
        report = Dispatcher(runtime).run_due()
    assert (report.tenants["jobs"].dead, report.tenants["jobs"].failed) == (1, 0)
    email = next(r for r in rows(runtime, "jobs", "_outbox") if r["kind"] == "email")
    message = (
        "No SMTP server is configured for tenant 'jobs': run trellis tenant smtp jobs "
        "--host … --port … (or set TRELLIS_SMTP_URL), then retry this job."
    )
    assert (email["state"], email["attempts"], email["last_error"]) == ("dead", 1, message)
    logged = api.get("_emails").json()["items"]
    assert [(e["status"], e["error"]) for e in logged] == [("failed", message)]
    port = free_port()
    args = ("tenant", "smtp", "jobs", "--host", "127.0.0.1", "--port", str(port))
    assert run_cli(runtime, monkeypatch, capsys, *args)[0] == 0
    with smtp_server(port) as inbox:
        assert api.post(f"_jobs/{email['id']}/retry").status_code == 200
        assert Dispatcher(runtime).run_due().tenants["jobs"].done == 1
    assert [(to, m["Subject"]) for to, m in inbox] == [(["admin@jobs.test"], "Big deal: Nowhere")]
    email = next(r for r in rows(runtime, "jobs", "_outbox") if r["kind"] == "email")
    assert email["state"] == "done"
    logged = api.get("_emails").json()["items"]
    assert sorted(e["status"] for e in logged) == ["failed", "sent"]


def test_private_targets_are_refused_by_default() -> None:
    default = policy_of(RuntimeConfig(data_dir=Path("unused")))
    for url in ("http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://[::1]/x", "ftp://a.b/c"):
        with pytest.raises(WebhookError):
            check_target(url, policy=default)
    allowed = RuntimeConfig.from_env(environ={"TRELLIS_WEBHOOK_ALLOW_PRIVATE": "1"})
    check_target("http://127.0.0.1:8080/x", policy=policy_of(allowed))


def test_due_timer_checks_its_condition_and_queues_its_actions(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = Api(client, "jobs", make_jobs_tenant(runtime, tmp_path))
    hot = api.post("deal", json={"name": "Hot", "amount": 50, "close": "2030-05-10"}).json()
    cold = api.post("deal", json={"name": "Cold", "amount": 50, "close": "2030-05-10"}).json()
    assert len(rows(runtime, "jobs", "_timers")) == 2
    # The condition is checked again when the timer is due: change it behind the API.
    deals = runtime.app("jobs").entities["deal"].table
    with runtime.engines.tenant_connection("jobs", write=True) as conn, conn.begin():
        conn.execute(deals.update().where(deals.c.id == cold["id"]).values(amount=5))
    code, out = run_cli(
        runtime, monkeypatch, capsys, "jobs", "run-due", "--now", "2030-05-08T23:00:00Z"
    )
    assert "0 timers fired" in out
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    with smtp_server(port) as inbox:
        code, out = run_cli(
            runtime, monkeypatch, capsys, "jobs", "run-due", "--now", "2030-05-09T00:00:00Z"
        )
    assert code == 0
    assert "jobs: 2 timers fired, 1 jobs done" in out
    assert [m["Subject"] for _, m in inbox] == ["Closing soon: Hot"]
    assert all(t["fired_at"] is not None for t in rows(runtime, "jobs", "_timers"))
    notes = rows(runtime, "jobs", "_notifications")
    assert [(n["record_id"], n["text"]) for n in notes] == [(hot["id"], "Close Hot soon")]
    runs = {r["record_id"]: r["outcome"] for r in rows(runtime, "jobs", "_rule_runs")}
    assert runs == {hot["id"]: "applied", cold["id"]: "condition false"}
    # A new close date plans the timer again.
    api.patch(f"deal/{hot['id']}", json={"close": "2030-06-10"})
    timers = [t for t in rows(runtime, "jobs", "_timers") if t["record_id"] == hot["id"]]
    waiting = [t["due_at"].replace(tzinfo=UTC) for t in timers if t["fired_at"] is None]
    assert waiting == [datetime(2030, 6, 9, tzinfo=UTC)]  # the fired one stays as history
