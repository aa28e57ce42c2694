"""The job API for tenant admins and the embedded worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform.jobs import Dispatcher, EmbeddedWorker, JobPolicy
from trellis.platform.jobs.handlers import no_smtp_message
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import make_jobs_tenant, rows, use_setting, webhook_server


@pytest.fixture
def japi(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Api:
    use_setting(runtime, monkeypatch, "TRELLIS_WEBHOOK_ALLOW_PRIVATE", "1")
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", None)
    return Api(client, "jobs", make_jobs_tenant(runtime, tmp_path))


def test_dead_jobs_are_listed_retried_and_discarded(japi: Api, runtime: Runtime) -> None:
    japi.post("deal", json={"name": "Big", "amount": 5000})  # an email and a webhook
    policy = JobPolicy(max_attempts=1)  # the webhook is dead at once too
    Dispatcher(runtime, policy=policy).run_due()  # no SMTP configured, hook port closed
    dead = japi.get("_jobs?state=dead")
    assert dead.status_code == 200, dead.text
    items = dead.json()["items"]
    assert sorted(j["kind"] for j in items) == ["email", "webhook"]
    email = next(j for j in items if j["kind"] == "email")
    assert email["last_error"] == no_smtp_message("jobs")
    assert email["attempts"] == 1
    assert email["payload"]["template"] == "big_deal"
    hook = next(j for j in items if j["kind"] == "webhook")
    retried = japi.post(f"_jobs/{hook['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    assert japi.post(f"_jobs/{email['id']}/discard").json()["state"] == "discarded"
    assert japi.post(f"_jobs/{email['id']}/discard").status_code == 409
    assert japi.get("_jobs?state=dead").json()["items"] == []
    assert japi.get("_jobs").json()["count"] == 2
    assert japi.post("_jobs/999/retry").status_code == 404
    assert japi.get("_jobs?state=bogus").status_code == 400


def test_jobs_are_for_admins_only(japi: Api, runtime: Runtime) -> None:
    user = runtime.registry.ensure_user("nobody@jobs.test", "correct horse battery")
    runtime.registry.add_membership("jobs", user, [])
    token = runtime.registry.create_token("jobs", "nobody@jobs.test")
    plain = Api(japi.client, "jobs", token)
    assert plain.get("_jobs").status_code == 403
    assert japi.get("_jobs").status_code == 200


def test_embedded_worker_delivers_within_seconds(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_setting(runtime, monkeypatch, "TRELLIS_WEBHOOK_ALLOW_PRIVATE", "1")
    with webhook_server() as hooks:
        api = Api(client, "embed", make_jobs_tenant(runtime, tmp_path, "embed", hooks.url))
        worker = EmbeddedWorker(Dispatcher(runtime), interval=0.05).start()
        try:
            api.post("deal", json={"name": "Fast", "amount": 5000})
            deadline = time.monotonic() + 60
            while not hooks.received and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            worker.stop()
    assert len(hooks.received) == 1
    webhook = next(r for r in rows(runtime, "embed", "_outbox") if r["kind"] == "webhook")
    assert webhook["state"] == "done"
