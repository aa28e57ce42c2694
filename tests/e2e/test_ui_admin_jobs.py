"""The admin jobs page: counts, dead letters with retry/discard, recent deliveries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.db.tables import OUTBOX_TABLE, TIMERS_TABLE
from trellis.platform.jobs.deliveries import Delivery, record_delivery
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, crm_tenant, post_form

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _job(runtime: Runtime, state: str, *, attempts: int = 0, error: str | None = None) -> int:
    table = runtime.app("acme").metadata.tables[OUTBOX_TABLE]
    values: dict[str, Any] = {
        "kind": "email",
        "payload": {"to": "ops@example.test", "template": "welcome"},
        "created_at": NOW,
        "state": state,
        "attempts": attempts,
        "last_error": error,
        "done_at": NOW if state in ("dead", "done") else None,
    }
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        key = conn.execute(table.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _state(runtime: Runtime, job: int) -> tuple[str, int]:
    table = runtime.app("acme").metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection("acme") as conn:
        row = conn.execute(
            sa.select(table.c.state, table.c.attempts).where(table.c.id == job)
        ).one()
    return str(row.state), int(row.attempts)


def _count(html: str, name: str) -> int:
    found = re.search(rf'<li id="count-{name}"><strong>(\d+)</strong>', html)
    assert found is not None, name
    return int(found.group(1))


def _fill(runtime: Runtime) -> dict[str, int]:
    jobs = {
        "queued": _job(runtime, "pending"),
        "queued2": _job(runtime, "pending"),
        "failing": _job(runtime, "pending", attempts=2, error="SMTP busy"),
        "running": _job(runtime, "running", attempts=1),
        "dead": _job(runtime, "dead", attempts=5, error="550 <mailbox> unavailable"),
        "dead2": _job(runtime, "dead", attempts=5, error="timeout"),
        "done": _job(runtime, "done", attempts=1),
    }
    app = runtime.app("acme")
    timers = app.metadata.tables[TIMERS_TABLE]
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        conn.execute(
            timers.insert().values(
                rule="follow_up", entity="account", record_id=1, due_at=NOW + timedelta(days=1)
            )
        )
        record_delivery(
            conn,
            app.metadata,
            Delivery("email", jobs["done"], 1, "sent", target="ops@example.test", subject="Hi"),
            NOW,
        )
        record_delivery(
            conn,
            app.metadata,
            Delivery("webhook", None, 2, "failed", target="https://hooks.test/x", error="HTTP 500"),
            NOW,
        )
    return jobs


def test_admin_sees_counts_dead_letters_and_deliveries(runtime: Runtime) -> None:
    crm_tenant(runtime)
    jobs = _fill(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        html = client.get("/t/acme/admin/jobs").text
        assert [_count(html, n) for n in ("queued", "failing", "running", "scheduled", "dead")] == [
            2,
            1,
            1,
            1,
            2,
        ]
        assert f'id="job-{jobs["dead"]}"' in html and f'id="job-{jobs["dead2"]}"' in html
        assert "550 &lt;mailbox&gt; unavailable" in html
        assert f'action="/t/acme/admin/jobs/{jobs["dead"]}/retry"' in html
        assert f'action="/t/acme/admin/jobs/{jobs["dead"]}/discard"' in html
        assert "ops@example.test" in html and "https://hooks.test/x" in html
        assert "HTTP 500" in html
        assert screen_problems(html) == []
        retried = post_form(
            client, f"/t/acme/admin/jobs/{jobs['dead']}/retry", {}, follow_redirects=False
        )
        assert retried.status_code == 303
        page = client.get(retried.headers["location"]).text
        assert f"Job {jobs['dead']} (email) queued again." in page
        assert _count(page, "dead") == 1 and _count(page, "queued") == 3
        discarded = post_form(client, f"/t/acme/admin/jobs/{jobs['dead2']}/discard", {})
        assert f"Job {jobs['dead2']} (email) discarded." in discarded.text
        assert "No dead jobs." in discarded.text
        refused = post_form(client, f"/t/acme/admin/jobs/{jobs['done']}/discard", {})
        assert f"Job {jobs['done']} is done; it cannot be discarded." in refused.text
    assert _state(runtime, jobs["dead"]) == ("pending", 0)
    assert _state(runtime, jobs["dead2"]) == ("discarded", 5)
    assert _state(runtime, jobs["done"]) == ("done", 1)


def test_only_tenant_admins_reach_the_jobs_page(runtime: Runtime) -> None:
    crm_tenant(runtime)
    jobs = _fill(runtime)
    add_user(runtime, "acme", "boss@acme.test", ["sales_manager"])
    with TestClient(app=create_web_app(runtime)) as client:
        anonymous = client.get("/t/acme/admin/jobs", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/t/acme/login")
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "boss@acme.test")
        denied = client.get("/t/acme/admin/jobs")
        assert denied.status_code == 403
        assert "Only tenant admins may see and manage jobs." in denied.text
        assert 'href="/t/acme/admin/jobs"' not in client.get("/t/acme/").text
        for action in ("retry", "discard"):
            url = f"/t/acme/admin/jobs/{jobs['dead']}/{action}"
            assert post_form(client, url, {}).status_code == 403
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        assert client.post(f"/t/acme/admin/jobs/{jobs['dead']}/retry").status_code == 403  # CSRF
        assert post_form(client, "/t/acme/admin/jobs/999999/retry", {}).status_code == 404
        assert post_form(client, "/t/acme/admin/jobs/abc/retry", {}).status_code == 404
    assert _state(runtime, jobs["dead"]) == ("dead", 5)
