"""Trigger rules end to end through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from tests.helpers import Api, PackageWriter, make_tenant
from trellis.platform.runtime import Runtime

DEAL = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true}
      amount: {type: integer, min: 0}
      priority: {type: enum, options: [low, high]}
      note: {type: text}
      close: {type: date}
"""
TASK = """
    label: Task
    title: subject
    fields:
      subject: {type: string, required: true}
      deal: {type: reference, to: deal}
"""
PING = """
    label: Ping
    fields:
      n: {type: integer}
"""
PONG = """
    label: Pong
    fields:
      n: {type: integer}
"""
RULES = """
# rules of the e2e test package
rule "Big deals are high priority"
  on deal created, updated
  when amount >= 50000 and changed(amount)
  then set priority = "high"; set note = concat("was ", coalesce(old(name), "new"))
end

rule "No forbidden deals"
  on deal created
  when name == "forbidden"
  then reject "Forbidden deals cannot be saved."
end

rule "Follow up"
  on deal created
  when amount >= 50000
  then
    create task {subject: concat("Call about ", name), deal: id}
    notify owner "Big deal: {{ name }} & co"
    send email "big_deal" to owner
    webhook "https://hooks.example.com/deals"
end

rule "Route"
  on deal created
  when name starts_with "route"
  then assign owner round_robin("sales_rep")
end

rule "Remind"
  on deal before 1 days from close
  then webhook "https://hooks.example.com/remind"
end

rule "Ping makes pong"
  on ping created
  then create pong {n: n + 1}
end

rule "Pong makes ping"
  on pong created
  then create ping {n: n + 1}
end
"""


def _with_rules(write_package: PackageWriter) -> PackageWriter:
    def write(entities: dict[str, str], **kw: Any) -> Path:
        root = write_package(entities, **kw)
        (root / "rules").mkdir(exist_ok=True)
        (root / "rules" / "sales.rules").write_text(RULES, encoding="utf-8")
        (root / "email_templates").mkdir(exist_ok=True)
        (root / "email_templates" / "big_deal.j2").write_text(
            "{% block subject %}Big deal {{ name }}{% endblock %}\n", encoding="utf-8"
        )
        return root

    return write


@pytest.fixture
def rapi(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> Api:
    entities = {"deal": DEAL, "task": TASK, "ping": PING, "pong": PONG}
    token = make_tenant(runtime, _with_rules(write_package), "rules", entities)
    return Api(client, "rules", token)


def _rows(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    app = runtime.app("rules")
    t = app.metadata.tables[table]
    with runtime.engines.tenant_connection("rules") as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


def test_set_rule_changes_the_record_and_is_recorded(rapi: Api) -> None:
    small = rapi.post("deal", json={"name": "small", "amount": 10})
    assert small.status_code == 201, small.text
    assert small.json()["priority"] is None
    res = rapi.patch(f"deal/{small.json()['id']}", json={"amount": 60000})
    assert res.status_code == 200, res.text
    assert res.json()["priority"] == "high"
    assert res.json()["note"] == "was small"
    runs = rapi.get(f"_rule_runs?entity=deal&id={small.json()['id']}").json()["items"]
    assert [r["rule"] for r in runs] == ["Big deals are high priority"]
    assert runs[0]["phase"] == "before"
    assert runs[0]["changes"] == {"priority": "high", "note": "was small"}


def test_reject_answers_422_and_saves_nothing(rapi: Api, runtime: Runtime) -> None:
    res = rapi.post("deal", json={"name": "forbidden", "amount": 1})
    assert res.status_code == 422
    assert res.json()["errors"]["__all__"] == ["Forbidden deals cannot be saved."]
    assert rapi.get("deal").json()["count"] == 0
    assert _rows(runtime, "_rule_runs") == []


def test_after_rules_create_notify_and_queue(rapi: Api, runtime: Runtime) -> None:
    res = rapi.post("deal", json={"name": "Acme<b>", "amount": 70000})
    assert res.status_code == 201, res.text
    deal = res.json()
    tasks = rapi.get("task").json()["items"]
    assert [(t["subject"], t["deal"]) for t in tasks] == [("Call about Acme<b>", deal["id"])]
    notes = _rows(runtime, "_notifications")
    assert [(n["user_id"], n["text"]) for n in notes] == [
        (deal["owner_id"], "Big deal: Acme&lt;b&gt; & co")  # values escaped
    ]
    outbox = _rows(runtime, "_outbox")
    assert [(o["kind"], o["state"]) for o in outbox] == [
        ("email", "pending"),
        ("webhook", "pending"),
    ]
    assert outbox[0]["payload"]["template"] == "big_deal"
    assert outbox[1]["payload"]["url"] == "https://hooks.example.com/deals"
    runs = rapi.get(f"_rule_runs?entity=deal&id={deal['id']}").json()["items"]
    assert {r["rule"] for r in runs} == {"Big deals are high priority", "Follow up"}
    assert runs[0]["rule"] == "Follow up"  # newest first


def test_trigger_chain_hits_the_depth_limit_and_rolls_back(rapi: Api, runtime: Runtime) -> None:
    res = rapi.post("ping", json={"n": 0})
    assert res.status_code == 409
    message = res.json()["errors"]["__all__"][0]
    assert "chained more than 10 saves" in message
    assert "Nothing was saved" in message
    # Nothing half-written: no record, no change row, no rule run.
    assert rapi.get("ping").json()["count"] == 0
    assert rapi.get("pong").json()["count"] == 0
    assert _rows(runtime, "_rule_runs") == []
    assert _rows(runtime, "_changes") == []


def test_round_robin_over_two_users(rapi: Api, runtime: Runtime) -> None:
    users = []
    for email in ("ann@rules.test", "bob@rules.test"):
        user = runtime.registry.ensure_user(email, "correct horse battery")
        runtime.registry.add_membership("rules", user, ["sales_rep"])
        users.append(user)
    owners = [rapi.post("deal", json={"name": f"route {i}"}).json()["owner_id"] for i in range(4)]
    first = users.index(owners[0])
    expected = [users[(first + i) % 2] for i in range(4)]
    assert owners == expected
    assert set(owners) == set(users)


def test_time_rule_plans_and_replans_a_timer(rapi: Api, runtime: Runtime) -> None:
    deal = rapi.post("deal", json={"name": "t", "close": "2030-05-10"}).json()
    timers = _rows(runtime, "_timers")
    assert [(t["rule"], t["record_id"]) for t in timers] == [("Remind", deal["id"])]
    assert timers[0]["due_at"].isoformat().startswith("2030-05-09T00:00")
    rapi.patch(f"deal/{deal['id']}", json={"close": "2030-06-01"})
    timers = _rows(runtime, "_timers")
    assert len(timers) == 1
    assert timers[0]["due_at"].isoformat().startswith("2030-05-31")


def test_dry_run_explains_rule_steps_and_writes_nothing(rapi: Api, runtime: Runtime) -> None:
    res = rapi.post("deal?dry_run=true", json={"name": "Big", "amount": 90000})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["would_save"] is True
    assert body["record"]["priority"] == "high"
    rules = [s for s in body["steps"] if s["kind"] == "rule"]
    assert ("Big deals are high priority", "applied") in [(s["name"], s["result"]) for s in rules]
    assert "Follow up" in [s["name"] for s in rules]
    assert rapi.get("deal").json()["count"] == 0
    assert rapi.get("task").json()["count"] == 0
    assert _rows(runtime, "_rule_runs") == []
    rejected = rapi.post("deal?dry_run=true", json={"name": "forbidden"}).json()
    assert rejected["would_save"] is False
    assert rejected["errors"]["__all__"] == ["Forbidden deals cannot be saved."]
    assert ("No forbidden deals", "rejected") in [
        (s["name"], s["result"]) for s in rejected["steps"]
    ]


def test_rule_runs_api_checks_its_parameters(rapi: Api) -> None:
    assert rapi.get("_rule_runs?id=abc").status_code == 400
    assert rapi.get("_rule_runs?limit=0").status_code == 400
    assert rapi.get("_rule_runs?entity=nope").status_code == 404
    assert rapi.get("_rule_runs").json() == {"items": [], "count": 0}
