"""Time rules (``after|before N … from <date field>``) end to end, on SQLite and PostgreSQL.

Planning follows the record (condition, date, delete); a due timer runs every kind of
action and records its run; a refused action leaves nothing half-written.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from tests.helpers import Api
from trellis.platform.jobs import Dispatcher
from trellis.platform.jobs.handlers import noop
from trellis.platform.jobs.timers import TimerRunner
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

TENANT = "timers"
FILES = {
    "app.yaml": "name: support\nversion: 1.0.0\nlabel: Support\n",
    "entities/ticket.yaml": """
        label: Ticket
        title: subject
        fields:
          subject: {type: string, required: true}
          priority: {type: enum, options: [normal, urgent]}
          status: {type: enum, options: [new, open, closed], default: '"new"'}
          due: {type: datetime}
          note: {type: text}
          level: {type: integer}
          agent: {type: user}
        validations:
          - {when: "level > 3", field: level, message: "Escalated too often."}
    """,
    "entities/task.yaml": """
        label: Task
        title: subject
        fields:
          subject: {type: string, required: true}
          ticket: {type: reference, to: ticket}
    """,
    "workflows/ticket_flow.yaml": """
        workflow: ticket_flow
        entity: ticket
        field: status
        initial: new
        states: [new, open, closed]
        transitions:
          - {name: start, from: [new], to: open}
          - {name: close, from: [open], to: closed}
    """,
    "roles.yaml": """
        roles:
          agent:
            entities:
              ticket: {actions: [read, update], scope: all}
          support_lead:
            entities:
              ticket: {actions: [read], scope: all}
    """,
    "email_templates/late.j2": "{% block subject %}Late: {{ subject }}{% endblock %}\n",
    "rules/timers.rules": """
        rule "Late"
          on ticket after 2 hours from due
          when priority == "urgent" and status != "closed"
          then
            set note = concat("late: ", subject)
            set level = coalesce(level, 0) + 1
            assign agent load_balanced("agent")
            create task {subject: concat("Chase ", subject), ticket: id}
            transition start
            escalate to role "support_lead"
            notify owner "Late: {{ subject }}"
            send email "late" to owner
            webhook "https://hooks.example.com/late"
        end
    """,
}


def _rows(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    t = runtime.app(TENANT).metadata.tables[table]
    with runtime.engines.tenant_connection(TENANT) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


def _waiting(runtime: Runtime) -> list[tuple[int, datetime]]:
    return [
        (t["record_id"], t["due_at"].replace(tzinfo=UTC))
        for t in _rows(runtime, "_timers")
        if t["fired_at"] is None
    ]


def _fire(runtime: Runtime, now: str) -> int:
    at = datetime.fromisoformat(now.replace("Z", "+00:00"))
    runner = TimerRunner(runtime.app(TENANT))
    with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
        return runner.fire_due(conn, at, 100)


@pytest.fixture
def tapi(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> Api:
    root = tmp_path / "support"
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    admin = runtime.registry.ensure_user(f"admin@{TENANT}.test", "correct horse battery")
    runtime.registry.add_membership(TENANT, admin, ["admin"])
    return Api(client, TENANT, runtime.registry.create_token(TENANT, f"admin@{TENANT}.test"))


def _member(runtime: Runtime, name: str, role: str) -> int:
    user = runtime.registry.ensure_user(f"{name}@{TENANT}.test", "correct horse battery")
    runtime.registry.add_membership(TENANT, user, [role])
    return user


def test_timer_follows_condition_date_and_delete(tapi: Api, runtime: Runtime) -> None:
    res = tapi.post(
        "ticket", json={"subject": "a", "priority": "normal", "due": "2030-01-01T08:00:00Z"}
    )
    ticket = res.json()
    assert _waiting(runtime) == []  # the condition is false: no timer
    tapi.patch(f"ticket/{ticket['id']}", json={"priority": "urgent"})
    assert _waiting(runtime) == [(ticket["id"], datetime(2030, 1, 1, 10, tzinfo=UTC))]
    tapi.patch(f"ticket/{ticket['id']}", json={"due": "2030-02-01T00:00:00Z"})
    assert _waiting(runtime) == [(ticket["id"], datetime(2030, 2, 1, 2, tzinfo=UTC))]
    tapi.patch(f"ticket/{ticket['id']}", json={"note": "unrelated"})
    assert len(_rows(runtime, "_timers")) == 1  # nothing moved: the timer is kept
    tapi.patch(f"ticket/{ticket['id']}", json={"priority": "normal"})
    assert _waiting(runtime) == []  # the condition no longer holds: cancelled
    tapi.patch(f"ticket/{ticket['id']}", json={"priority": "urgent", "due": None})
    assert _waiting(runtime) == []  # no date, no timer
    tapi.patch(f"ticket/{ticket['id']}", json={"due": "2030-03-01T00:00:00Z"})
    assert _waiting(runtime) == [(ticket["id"], datetime(2030, 3, 1, 2, tzinfo=UTC))]
    dry = tapi.post(
        "ticket?dry_run=true",
        json={"subject": "b", "priority": "urgent", "due": "2030-01-01T00:00:00Z"},
    ).json()
    assert {"kind": "timer", "name": "Late", "result": "planned"}.items() <= next(
        s for s in dry["steps"] if s["kind"] == "timer"
    ).items()
    assert tapi.delete(f"ticket/{ticket['id']}").status_code == 204
    assert _rows(runtime, "_timers") == []


def test_due_timer_runs_every_action_kind(tapi: Api, runtime: Runtime) -> None:
    ann, bob = _member(runtime, "ann", "agent"), _member(runtime, "bob", "agent")
    lee = _member(runtime, "lee", "support_lead")
    busy = tapi.post("ticket", json={"subject": "busy", "agent": ann}).json()
    ticket = tapi.post(
        "ticket", json={"subject": "Printer", "priority": "urgent", "due": "2030-01-01T08:00:00Z"}
    ).json()
    assert _fire(runtime, "2030-01-01T09:59:00Z") == 0  # not due yet
    assert _fire(runtime, "2030-01-01T10:00:00Z") == 1
    after = tapi.get(f"ticket/{ticket['id']}").json()
    assert after["note"] == "late: Printer"
    assert after["level"] == 1
    assert after["agent"] == bob  # ann already holds an open ticket
    assert after["status"] == "open"  # transition start ran
    assert after["updated_by"] is None  # the system, not a user
    tasks = tapi.get("task").json()["items"]
    assert [(t["subject"], t["ticket"]) for t in tasks] == [("Chase Printer", ticket["id"])]
    notes = [(n["user_id"], n["text"]) for n in _rows(runtime, "_notifications")]
    assert (lee, "Escalated by rule 'Late': Ticket Printer") in notes
    assert (ticket["owner_id"], "Late: Printer") in notes
    outbox = [(o["kind"], o["payload"]) for o in _rows(runtime, "_outbox")]
    assert [k for k, _ in outbox] == ["email", "webhook"]
    assert outbox[0][1]["template"] == "late"
    assert (outbox[1][1]["event"], outbox[1][1]["record"]["note"]) == ("timer", "late: Printer")
    runs = tapi.get(f"_rule_runs?entity=ticket&id={ticket['id']}").json()["items"]
    assert [(r["rule"], r["phase"], r["outcome"]) for r in runs] == [("Late", "timer", "applied")]
    changes = runs[0]["changes"]
    assert changes["note"] == "late: Printer" and changes["agent"] == bob
    assert changes["transition start"] == "done"
    assert changes["escalate support_lead"] == [lee]
    assert changes["create task"] == tasks[0]["id"]
    assert {"send email", "webhook", "notify"} <= set(changes)
    assert _fire(runtime, "2030-01-02T00:00:00Z") == 0  # fired once
    assert busy["agent"] == ann


def test_refused_action_keeps_nothing_and_records_the_failure(tapi: Api, runtime: Runtime) -> None:
    ticket = tapi.post(
        "ticket",
        json={"subject": "Max", "priority": "urgent", "level": 3, "due": "2030-01-01T00:00:00Z"},
    ).json()
    assert _fire(runtime, "2030-01-01T02:00:00Z") == 1
    after = tapi.get(f"ticket/{ticket['id']}").json()
    assert (after["level"], after["note"], after["status"]) == (3, None, "new")
    assert tapi.get("task").json()["count"] == 0
    assert _rows(runtime, "_notifications") == []
    assert _rows(runtime, "_outbox") == []
    (run,) = tapi.get("_rule_runs?entity=ticket").json()["items"]
    assert run["outcome"] == "failed"
    assert "Escalated too often." in run["changes"]["error"]
    assert _rows(runtime, "_timers")[0]["fired_at"] is not None


def test_condition_false_when_due_is_recorded(tapi: Api, runtime: Runtime) -> None:
    ticket = tapi.post(
        "ticket", json={"subject": "x", "priority": "urgent", "due": "2030-01-01T00:00:00Z"}
    ).json()
    table = runtime.app(TENANT).entities["ticket"].table
    with runtime.engines.tenant_connection(TENANT, write=True) as conn, conn.begin():
        conn.execute(table.update().where(table.c.id == ticket["id"]).values(priority="normal"))
    assert _fire(runtime, "2030-01-01T02:00:00Z") == 1
    (run,) = tapi.get("_rule_runs?entity=ticket").json()["items"]
    assert (run["outcome"], run["changes"]) == ("condition false", {})
    assert tapi.get(f"ticket/{ticket['id']}").json()["note"] is None


def test_dispatcher_fires_timers_with_tenant_members(tapi: Api, runtime: Runtime) -> None:
    cat = _member(runtime, "cat", "agent")
    ticket = tapi.post(
        "ticket", json={"subject": "y", "priority": "urgent", "due": "2030-01-01T00:00:00Z"}
    ).json()
    quiet = Dispatcher(runtime, handlers={"email": noop, "webhook": noop})
    report = quiet.run_due(datetime(2030, 1, 1, 3, tzinfo=UTC), drain=False)
    assert report.tenants[TENANT].timers >= 1
    assert tapi.get(f"ticket/{ticket['id']}").json()["agent"] == cat
