"""SLA timers for tickets and activity reminders: planned, re-planned, cancelled, fired."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.loader import load_package
from trellis.platform.jobs import Dispatcher
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.rules.checker import RuleExpressionChecker

from helpers import Api
from jobs_helpers import rows

TICKET = """
label: Ticket
title: subject
fields:
  subject: {type: string, required: true}
  priority: {type: enum, options: [urgent, high, low], default: '"low"'}
  status: {type: enum, options: [open, resolved], default: '"open"'}
  first_response_at: {type: datetime}
  sla_breached: {type: boolean}
"""
ACTIVITY = """
label: Activity
title: subject
fields:
  subject: {type: string, required: true}
  remind_at: {type: datetime}
  done: {type: boolean}
"""
SLA = """
priority_field: priority
targets:
  response:
    met_when: "first_response_at is not empty"
    hours: {urgent: 1, high: 4, low: 24}
  resolution:
    met_when: 'status == "resolved"'
    hours: {urgent: 4, high: 24, low: 72}
on_breach:
  set_field: sla_breached
  notify: owner
  email: sla_breach
  escalate_to_role: support_lead
"""
REMINDER = """
field: remind_at
cancel_when: "done"
text: "Reminder: {{ subject }}"
email: reminder
"""
TEMPLATE = "{% block subject %}{{ subject }}{% endblock %}{% block text %}x{% endblock %}\n"


def _package(tmp_path: Path, sla: str = SLA, reminder: str = REMINDER) -> Path:
    root = tmp_path / "pkg"
    for folder in ("entities", "sla", "reminders", "email_templates"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "app.yaml").write_text("name: slaapp\nversion: 1.0.0\nlabel: SLA\n")
    (root / "entities" / "ticket.yaml").write_text(textwrap.dedent(TICKET).lstrip())
    (root / "entities" / "activity.yaml").write_text(textwrap.dedent(ACTIVITY).lstrip())
    (root / "sla" / "ticket.yaml").write_text(textwrap.dedent(sla).lstrip())
    (root / "reminders" / "activity.yaml").write_text(textwrap.dedent(reminder).lstrip())
    for name in ("sla_breach", "reminder"):
        (root / "email_templates" / f"{name}.j2").write_text(TEMPLATE)
    return root


def _tenant(runtime: Runtime, tmp_path: Path, client: TestClient) -> tuple[Api, int, int]:  # type: ignore[type-arg]
    runtime.registry.create_tenant("sla")
    publish(runtime, "sla", _package(tmp_path))
    admin = runtime.registry.ensure_user("admin@sla.test", "correct horse battery")
    runtime.registry.add_membership("sla", admin, ["admin"])
    lead = runtime.registry.ensure_user("lead@sla.test", "correct horse battery")
    runtime.registry.add_membership("sla", lead, ["support_lead"])
    return Api(client, "sla", runtime.registry.create_token("sla", "admin@sla.test")), admin, lead


def _waiting(runtime: Runtime, entity: str, record_id: int) -> dict[str, datetime]:
    return {
        r["key"]: r["due_at"].replace(tzinfo=UTC)
        for r in rows(runtime, "sla", "_schedules")
        if r["entity"] == entity and r["record_id"] == record_id and r["fired_at"] is None
    }


def _created(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))


def test_sla_timers_are_planned_met_replanned_and_breached(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    api, admin, lead = _tenant(runtime, tmp_path, client)
    urgent = api.post("ticket", json={"subject": "Down", "priority": "urgent"}).json()
    low = api.post("ticket", json={"subject": "Slow"}).json()
    start = _created(urgent)
    assert _waiting(runtime, "ticket", urgent["id"]) == {
        "response": start + timedelta(hours=1),
        "resolution": start + timedelta(hours=4),
    }
    assert _waiting(runtime, "ticket", low["id"])["response"] == _created(low) + timedelta(hours=24)
    # First response meets the response target of the urgent ticket: its timer goes.
    now = datetime.now(UTC).isoformat()
    answer = api.patch(f"ticket/{urgent['id']}", json={"first_response_at": now})
    assert answer.status_code == 200
    assert set(_waiting(runtime, "ticket", urgent["id"])) == {"resolution"}
    # Raising the priority re-plans the other ticket.
    assert api.patch(f"ticket/{low['id']}", json={"priority": "high"}).status_code == 200
    assert _waiting(runtime, "ticket", low["id"]) == {
        "response": _created(low) + timedelta(hours=4),
        "resolution": _created(low) + timedelta(hours=24),
    }
    # Five hours later: the urgent ticket's resolution and the high one's response breach.
    Dispatcher(runtime).run_due(start + timedelta(hours=5))
    Dispatcher(runtime).run_due(start + timedelta(hours=5))  # nothing twice
    assert api.get(f"ticket/{urgent['id']}").json()["sla_breached"] is True
    assert api.get(f"ticket/{low['id']}").json()["sla_breached"] is True
    notes = [(n["user_id"], n["kind"], n["text"]) for n in rows(runtime, "sla", "_notifications")]
    assert notes == [
        (admin, "sla", "SLA breached: resolution target of Ticket Down"),
        (lead, "escalation", "SLA breached: resolution target of Ticket Down"),
        (admin, "sla", "SLA breached: response target of Ticket Slow"),
        (lead, "escalation", "SLA breached: response target of Ticket Slow"),
    ]
    emails = [r["payload"] for r in rows(runtime, "sla", "_outbox") if r["kind"] == "email"]
    assert [(e["template"], e["to"], e["record"]["sla_target"]) for e in emails] == [
        ("sla_breach", admin, "resolution"),
        ("sla_breach", admin, "response"),
    ]
    # Resolving meets the resolution target of the high ticket; deleting drops the rest.
    assert api.patch(f"ticket/{low['id']}", json={"status": "resolved"}).status_code == 200
    assert _waiting(runtime, "ticket", low["id"]) == {}
    third = api.post("ticket", json={"subject": "Gone", "priority": "urgent"}).json()
    assert len(_waiting(runtime, "ticket", third["id"])) == 2
    assert api.delete(f"ticket/{third['id']}").status_code == 204
    assert _waiting(runtime, "ticket", third["id"]) == {}


def test_reminders_follow_the_date_and_stop_when_done(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    api, admin, _lead = _tenant(runtime, tmp_path, client)
    first = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
    call = api.post("activity", json={"subject": "Call Ann", "remind_at": "2030-03-01T09:00:00Z"})
    assert call.status_code == 201
    call_id = call.json()["id"]
    assert _waiting(runtime, "activity", call_id) == {"remind_at": first}
    moved = datetime(2030, 3, 2, 15, 30, tzinfo=UTC)
    api.patch(f"activity/{call_id}", json={"remind_at": "2030-03-02T15:30:00Z"})
    assert _waiting(runtime, "activity", call_id) == {"remind_at": moved}
    Dispatcher(runtime).run_due(first + timedelta(minutes=1))
    assert rows(runtime, "sla", "_notifications") == []
    Dispatcher(runtime).run_due(moved)
    notes = rows(runtime, "sla", "_notifications")
    assert [(n["user_id"], n["kind"], n["text"], n["record_id"]) for n in notes] == [
        (admin, "reminder", "Reminder: Call Ann", call_id)
    ]
    emails = [r["payload"] for r in rows(runtime, "sla", "_outbox") if r["kind"] == "email"]
    assert [(e["template"], e["to"]) for e in emails] == [("reminder", admin)]
    # Completing cancels; reopening plans again; deleting cancels.
    later = api.post("activity", json={"subject": "Mail", "remind_at": "2030-04-01T08:00:00Z"})
    later_id = later.json()["id"]
    api.patch(f"activity/{later_id}", json={"done": True})
    assert _waiting(runtime, "activity", later_id) == {}
    api.patch(f"activity/{later_id}", json={"done": False})
    assert _waiting(runtime, "activity", later_id) == {
        "remind_at": datetime(2030, 4, 1, 8, tzinfo=UTC)
    }
    api.delete(f"activity/{later_id}")
    assert _waiting(runtime, "activity", later_id) == {}
    Dispatcher(runtime).run_due(datetime(2030, 5, 1, tzinfo=UTC))
    assert len(rows(runtime, "sla", "_notifications")) == 1


@pytest.mark.parametrize(
    ("sla", "reminder", "expected"),
    [
        (
            SLA.replace("priority_field: priority", "priority_field: priorty"),
            REMINDER,
            "sla/ticket.yaml:1:1: error MD131: unknown field 'priorty' of entity 'ticket' "
            "(did you mean 'priority'?)",
        ),
        (
            SLA.replace("priority_field: priority", "priority_field: subject"),
            REMINDER,
            "error MD132: priority_field 'subject' is a string field; use an enum",
        ),
        (
            SLA.replace("{urgent: 1,", "{urgnt: 1,"),
            REMINDER,
            "error MD133: target 'response': 'urgnt' is not an option of 'priority' "
            "(did you mean 'urgent'?)",
        ),
        (
            SLA.replace("first_response_at is not empty", "first_respons is not empty"),
            REMINDER,
            "error MD134: met_when: Unknown field 'first_respons' on entity 'ticket' [RL002]",
        ),
        (
            SLA.replace("email: sla_breach", "email: sla_breech"),
            REMINDER,
            "error MD135: no email template 'email_templates/sla_breech.j2' "
            "(did you mean 'sla_breach'?)",
        ),
        (
            SLA.replace("set_field: sla_breached", "set_field: subject"),
            REMINDER,
            "error MD132: set_field 'subject' is a string field; use a boolean",
        ),
        (SLA.replace("hours: {urgent: 1,", "hourz: {urgent: 1,"), REMINDER, "error MD00"),
        (
            SLA,
            REMINDER.replace("field: remind_at", "field: subject"),
            "error MD132: 'subject' is a string field; a date or datetime is needed",
        ),
        (SLA, REMINDER + "notify: subject\n", "error MD132: notify 'subject' is a string field"),
        (SLA, "field: remind_at\nentity: ticket\n", "error MD130: reminder: 'entity' is 'ticket'"),
    ],
)
def test_bad_sla_and_reminder_files_are_reported_with_positions(
    tmp_path: Path, sla: str, reminder: str, expected: str
) -> None:
    root = _package(tmp_path, sla, reminder)
    with pytest.raises(MetadataError) as info:
        load_package(root, checker=RuleExpressionChecker())
    messages = [str(d) for d in info.value.diagnostics]
    assert any(expected in m for m in messages), messages


def test_sla_for_unknown_entity(tmp_path: Path) -> None:
    root = _package(tmp_path)
    (root / "sla" / "tickt.yaml").write_text(textwrap.dedent(SLA).lstrip())
    with pytest.raises(MetadataError) as info:
        load_package(root, checker=RuleExpressionChecker())
    assert [str(d) for d in info.value.diagnostics] == [
        f"{root.as_posix()}/sla/tickt.yaml:1:1: error MD130: SLA for unknown entity 'tickt' "
        "(did you mean 'ticket'?)"
    ]
