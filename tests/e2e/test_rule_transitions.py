"""Rule actions ``transition <name>`` and ``escalate to role "<role>"``, end to end.

On SQLite and PostgreSQL: a transition run by an after-save rule goes through the
workflow runtime with its checks, and a refused one rolls the whole save back (409).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TICKET = """
    label: Ticket
    title: subject
    fields:
      subject: {type: string, required: true}
      status: {type: enum, options: [new, open, resolved]}
      priority: {type: enum, options: [normal, urgent], default: '"normal"'}
      resolution: {type: text}
"""
FLOW = """
    workflow: ticket_flow
    entity: ticket
    field: status
    initial: new
    states: [new, open, resolved]
    transitions:
      - {name: open, from: [new], to: open}
      - name: resolve
        from: [open]
        to: resolved
        guard: "resolution is not empty"
        message: Write the resolution first.
"""
ROLES = """
    roles:
      support_lead:
        entities:
          ticket: {actions: [create, read, update, delete], scope: all}
      support_agent:
        entities:
          ticket: {actions: [create, read, update, delete], scope: all}
"""
RULES = """
rule "Open urgent tickets"
  on ticket created
  when priority == "urgent"
  then transition open
end

rule "Resolve on request"
  on ticket updated
  when changed(subject) and subject starts_with "resolve"
  then transition resolve
end

rule "Escalate urgent tickets"
  on ticket created, updated
  when priority == "urgent" and changed(priority)
  then escalate to role "support_lead"
end
"""


def _write(root: Path, relative: str, text: str) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def desk(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant 'esc' with the workflow, the rules, two support leads and an agent."""
    root = write_package({"ticket": TICKET})
    _write(root, "workflows/ticket_flow.yaml", FLOW)
    _write(root, "roles.yaml", ROLES)
    _write(root, "rules/support.rules", RULES)
    runtime.registry.create_tenant("esc")
    publish(runtime, "esc", root)
    for email, role in [
        ("admin@esc.test", "admin"),
        ("lead1@esc.test", "support_lead"),
        ("lead2@esc.test", "support_lead"),
        ("agent@esc.test", "support_agent"),
    ]:
        user = runtime.registry.ensure_user(email, "password123")
        runtime.registry.add_membership("esc", user, [role])
    return Api(client, "esc", runtime.registry.create_token("esc", "admin@esc.test"))


def _rows(runtime: Runtime, table: str) -> list[dict[str, Any]]:
    t = runtime.app("esc").metadata.tables[table]
    with runtime.engines.tenant_connection("esc") as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


def _leads(runtime: Runtime) -> list[int]:
    return sorted(runtime.registry.ensure_user(f"lead{i}@esc.test", "password123") for i in (1, 2))


def test_transition_rule_moves_the_record_and_is_recorded(desk: Api) -> None:
    res = desk.post("ticket", json={"subject": "Down", "priority": "urgent"})
    assert res.status_code == 201, res.text
    ticket = res.json()
    assert ticket["status"] == "open"  # the answer shows the record after the transition
    stored = desk.get(f"ticket/{ticket['id']}").json()
    assert (stored["status"], stored["version"]) == ("open", ticket["version"])
    runs = desk.get(f"_rule_runs?entity=ticket&id={ticket['id']}").json()["items"]
    opened = [r for r in runs if r["rule"] == "Open urgent tickets"]
    assert [r["changes"] for r in opened] == [{"transition open": "done"}]
    normal = desk.post("ticket", json={"subject": "Slow"}).json()
    assert normal["status"] == "new"


def test_refused_transition_rolls_the_save_back_with_409(desk: Api) -> None:
    ticket = desk.post("ticket", json={"subject": "Down", "priority": "urgent"}).json()
    refused = desk.patch(f"ticket/{ticket['id']}", json={"subject": "resolve it"})
    assert refused.status_code == 409, refused.text
    reason = refused.json()["errors"]["__all__"][0]
    assert "Resolve on request" in reason and "Write the resolution first." in reason
    stored = desk.get(f"ticket/{ticket['id']}").json()
    assert (stored["subject"], stored["status"]) == ("Down", "open")
    done = desk.patch(
        f"ticket/{ticket['id']}", json={"subject": "resolve it", "resolution": "Rebooted"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved"


def test_escalate_notifies_every_member_with_the_role(desk: Api, runtime: Runtime) -> None:
    ticket = desk.post("ticket", json={"subject": "Slow"}).json()
    assert _rows(runtime, "_notifications") == []
    res = desk.patch(f"ticket/{ticket['id']}", json={"priority": "urgent"})
    assert res.status_code == 200, res.text
    notes = _rows(runtime, "_notifications")
    leads = _leads(runtime)
    assert sorted(n["user_id"] for n in notes) == leads
    assert {n["rule"] for n in notes} == {"Escalate urgent tickets"}
    assert all(n["record_id"] == ticket["id"] and "Slow" in n["text"] for n in notes)
    runs = desk.get(f"_rule_runs?entity=ticket&id={ticket['id']}").json()["items"]
    assert [r["changes"] for r in runs if r["rule"] == "Escalate urgent tickets"] == [
        {"escalate support_lead": leads}
    ]
