"""The CRM seed's automation: email, notification, webhook placeholder, SLA and reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trellis.cli import create_tenant
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime

from helpers import Api
from jobs_helpers import free_port, rows, smtp_server, use_setting


def _post(api: Api, entity: str, **values: Any) -> dict[str, Any]:
    response = api.post(entity, json=values)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_crm_seed_rules_use_every_kind_of_job(
    runtime: Runtime, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_setting(runtime, monkeypatch, "TRELLIS_WEBHOOK_ALLOW_PRIVATE", None)
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    create_tenant(runtime, "crm-co", "crm", "boss@crm.test", "long enough secret")
    api = Api(client, "crm-co", runtime.registry.create_token("crm-co", "boss@crm.test"))
    account = _post(api, "account", name="Acme")
    deal = _post(api, "opportunity", name="Huge", account=account["id"], amount="75000",
                 stage="prospecting")  # fmt: skip
    won = api.patch(f"opportunity/{deal['id']}", json={"stage": "won", "close_date": "2030-01-31"})
    assert won.status_code == 200, won.text
    ticket = _post(api, "ticket", subject="Server down", priority="urgent")
    call = _post(api, "activity", subject="Call Acme", remind_at="2030-02-01T09:00:00Z")
    # Notification of the urgent-ticket rule.
    notes = api.get("_notifications").json()["items"]
    assert "Urgent ticket: Server down" in [n["text"] for n in notes]
    # SLA timers of the ticket (urgent: 1 h response, 4 h resolution) and the reminder.
    schedules = rows(runtime, "crm-co", "_schedules")
    assert {(s["kind"], s["key"], s["record_id"]) for s in schedules} == {
        ("sla", "response", ticket["id"]),
        ("sla", "resolution", ticket["id"]),
        ("sla", "response:warning", ticket["id"]),
        ("sla", "resolution:warning", ticket["id"]),
        ("reminder", "remind_at", call["id"]),
    }
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due()
    assert [m["Subject"] for _, m in inbox] == ["Big deal: Huge"]
    hooks = api.get("_webhooks").json()["items"]
    assert [(h["status"], h["rule"]) for h in hooks] == [("skipped", "Deal won webhook")]
    assert hooks[0]["error"].startswith("not sent: the target host ends in .invalid")
    assert {j["state"] for j in api.get("_jobs").json()["items"]} == {"done"}
    # The SLA breaches an hour after opening; the reminder fires at its time.
    opened = datetime.fromisoformat(ticket["opened_at"].replace("Z", "+00:00"))
    later = max(opened + timedelta(hours=2), datetime(2030, 2, 1, 9, 1, tzinfo=UTC))
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due(later)
        Dispatcher(runtime).run_due(later)
    subjects = sorted(m["Subject"] for _, m in inbox)
    assert subjects == [
        "Reminder: Call Acme",
        "SLA at risk (resolution): Server down",
        "SLA at risk (response): Server down",
        "SLA breached (resolution): Server down",
        "SLA breached (response): Server down",
    ]
    assert api.get(f"ticket/{ticket['id']}").json()["sla_breached"] is True
    texts = [n["text"] for n in api.get("_notifications").json()["items"]]
    assert "Reminder: Call Acme" in texts
    assert "SLA breached: response target of Ticket Server down" in texts
