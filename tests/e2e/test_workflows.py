"""Workflows end to end through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.metadata.diagnostics import MetadataError
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TICKET = """
    label: Ticket
    title: subject
    fields:
      subject: {type: string, required: true}
      status: {type: enum, options: [new, open, resolved, closed]}
      priority: {type: enum, options: [low, normal, high, urgent], default: '"normal"'}
      resolution: {type: text}
      reopen_reason: {type: text}
      resolved_at: {type: datetime}
"""
NOTE = """
    fields:
      text: {type: string}
"""
FLOW = """
    workflow: ticket_flow
    entity: ticket
    field: status
    initial: new
    states: [new, open, resolved, closed]
    transitions:
      - {name: open, label: Open it, from: [new], to: open}
      - name: resolve
        from: [open]
        to: resolved
        roles: [support_agent, support_lead]
        guard: "resolution is not empty"
        message: Write the resolution first.
        on_enter: {set: {resolved_at: "now()"}}
      - name: close
        from: resolved
        to: closed
        roles: [support_lead]
        approval: {role: support_lead}
      - {name: reopen, from: [resolved, closed], to: open, required: [reopen_reason]}
      - name: escalate
        from: [open]
        to: open
        roles: [support_lead]
        on_enter: {set: {priority: '"urgent"'}}
"""
ROLES = ("admin", "support_agent", "support_lead", "sales_rep")
_EVERYTHING = "{actions: [create, read, update, delete], scope: all}"
DESK_ROLES = "roles:\n" + "".join(
    f"  {role}:\n    entities:\n      ticket: {_EVERYTHING}\n      note: {_EVERYTHING}\n"
    for role in ROLES[1:]
)


def _write(root: Path, relative: str, text: str) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def desk(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> dict[str, Api]:  # type: ignore[type-arg]
    """Tenant 'desk' with the ticket workflow; one API client per role."""
    root = write_package({"ticket": TICKET, "note": NOTE})
    _write(root, "workflows/ticket_flow.yaml", FLOW)
    _write(root, "roles.yaml", DESK_ROLES)
    runtime.registry.create_tenant("desk")
    publish(runtime, "desk", root)
    apis: dict[str, Api] = {}
    for role in ROLES:
        email = f"{role}@desk.test"
        user = runtime.registry.ensure_user(email, "password123")
        runtime.registry.add_membership("desk", user, [role])
        apis[role] = Api(client, "desk", runtime.registry.create_token("desk", email))
    return apis


def _ticket(api: Api, **values: Any) -> dict[str, Any]:
    response = api.post("ticket", json={"subject": "Printer on fire", **values})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _run(api: Api, ticket: dict[str, Any], name: str, body: Any = None) -> Any:
    kw = {"json": body} if body is not None else {}
    return api.post(f"ticket/{ticket['id']}/transitions/{name}", **kw)


def _reason(response: Any) -> str:
    return str(response.json()["errors"]["__all__"][0])


def _opened(api: Api) -> dict[str, Any]:
    ticket = _ticket(api)
    response = _run(api, ticket, "open")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_create_starts_in_the_initial_state_and_refuses_another(desk: dict[str, Api]) -> None:
    api = desk["support_agent"]
    assert _ticket(api)["status"] == "new"
    assert _ticket(api, status="new")["status"] == "new"
    refused = api.post("ticket", json={"subject": "x", "status": "open"})
    assert refused.status_code == 422
    assert "starts in 'new'" in refused.json()["errors"]["status"][0]


def test_transition_runs_through_the_save_pipeline(desk: dict[str, Api]) -> None:
    api = desk["support_agent"]
    ticket = _ticket(api)
    response = _run(api, ticket, "open")
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert (body["status"], body["version"], body["subject"]) == ("open", 2, "Printer on fire")
    assert api.get(f"ticket/{ticket['id']}").json()["status"] == "open"


def test_unknown_transition_record_or_workflow_is_404(desk: dict[str, Api]) -> None:
    api = desk["admin"]
    ticket = _ticket(api)
    unknown = _run(api, ticket, "teleport")
    assert unknown.status_code == 404
    assert "teleport" in _reason(unknown)
    assert api.post("ticket/999999/transitions/open").status_code == 404
    note = api.post("note", json={"text": "hi"}).json()
    assert api.post(f"note/{note['id']}/transitions/open").status_code == 404
    assert api.post(f"nothing/{note['id']}/transitions/open").status_code == 404


def test_transition_from_the_wrong_state_is_409(desk: dict[str, Api]) -> None:
    api = desk["admin"]
    ticket = _ticket(api)
    response = _run(api, ticket, "resolve", {"resolution": "done"})
    assert response.status_code == 409
    assert _reason(response) == (
        "Transition 'resolve' cannot run while the ticket is 'new'; it starts from 'open'."
    )
    assert api.get(f"ticket/{ticket['id']}").json()["status"] == "new"


def test_failing_guard_is_409_and_values_sent_along_can_satisfy_it(
    desk: dict[str, Api],
) -> None:
    api = desk["support_agent"]
    ticket = _opened(api)
    refused = _run(api, ticket, "resolve")
    assert refused.status_code == 409
    assert _reason(refused) == "Write the resolution first."
    after = api.get(f"ticket/{ticket['id']}").json()
    assert (after["status"], after["version"]) == ("open", 2)
    done = _run(api, ticket, "resolve", {"resolution": "Replaced the fuser."})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["resolution"]) == ("resolved", "Replaced the fuser.")
    assert body["resolved_at"] is not None  # on_enter set, in the same save


def test_missing_required_field_is_409(desk: dict[str, Api]) -> None:
    api = desk["support_agent"]
    ticket = _opened(api)
    assert _run(api, ticket, "resolve", {"resolution": "ok"}).status_code == 200
    refused = _run(api, ticket, "reopen")
    assert refused.status_code == 409
    assert _reason(refused) == "Transition 'reopen' needs 'Reopen reason' filled in first."
    reopened = _run(api, ticket, "reopen", {"reopen_reason": "Still smoking"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open"


def test_roles_decide_who_may_run_a_transition(desk: dict[str, Api]) -> None:
    ticket = _opened(desk["sales_rep"])  # 'open' lists no roles: anyone may run it
    refused = _run(desk["sales_rep"], ticket, "resolve", {"resolution": "x"})
    assert refused.status_code == 403
    assert _reason(refused) == (
        "Transition 'resolve' needs one of the roles 'support_agent', 'support_lead'."
    )
    assert _run(desk["support_agent"], ticket, "escalate").status_code == 403
    escalated = _run(desk["admin"], ticket, "escalate")  # admin may run every transition
    assert escalated.status_code == 200, escalated.text
    assert (escalated.json()["status"], escalated.json()["priority"]) == ("open", "urgent")
    guarded = _run(desk["admin"], ticket, "resolve")  # ...but guards still apply
    assert guarded.status_code == 409


def test_transition_body_is_checked_like_a_patch(desk: dict[str, Api]) -> None:
    api = desk["support_agent"]
    ticket = _opened(api)
    own_field = _run(api, ticket, "resolve", {"status": "closed", "resolution": "x"})
    assert own_field.status_code == 422
    assert "status" in own_field.json()["errors"]
    bad_value = _run(api, ticket, "resolve", {"resolution": "x", "priority": "meh"})
    assert bad_value.status_code == 422
    assert "priority" in bad_value.json()["errors"]
    stale = _run(api, ticket, "resolve", {"resolution": "x", "version": 1})
    assert stale.status_code == 409
    assert (
        api.post(
            f"ticket/{ticket['id']}/transitions/resolve",
            content=b"[1]",
            headers={"Content-Type": "application/json"},
        ).status_code
        == 400
    )
    fresh = _run(api, ticket, "resolve", {"resolution": "x", "version": 2})
    assert fresh.status_code == 200, fresh.text


def test_approval_waits_for_the_role_then_completes(desk: dict[str, Api]) -> None:
    lead, agent = desk["support_lead"], desk["support_agent"]
    ticket = _opened(agent)
    assert _run(agent, ticket, "resolve", {"resolution": "fixed"}).status_code == 200
    assert _run(agent, ticket, "close").status_code == 403
    requested = _run(lead, ticket, "close")
    assert requested.status_code == 202, requested.text
    body = requested.json()
    assert body["status"] == "pending"
    assert (body["approval"]["transition"], body["approval"]["role"]) == ("close", "support_lead")
    assert body["record"]["status"] == "resolved"
    url = f"ticket/{ticket['id']}"
    assert lead.get(url).json()["status"] == "resolved"
    again = _run(lead, ticket, "close")
    assert again.status_code == 409
    assert _reason(again).startswith("Approval pending: transition 'close'")
    other = _run(agent, ticket, "reopen", {"reopen_reason": "no"})
    assert other.status_code == 409
    assert _reason(other).startswith("Approval pending")
    patched = lead.patch(url, json={"status": "closed"})
    assert patched.status_code == 409
    assert _reason(patched).startswith("Approval pending")
    assert lead.patch(url, json={"priority": "high"}).status_code == 200  # other fields: fine
    assert agent.post(f"{url}/transitions/close/approve").status_code == 403
    approved = lead.post(f"{url}/transitions/close/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["priority"]) == ("closed", "high")
    assert lead.post(f"{url}/transitions/close/approve").status_code == 409
    assert lead.post(f"{url}/transitions/open/approve").status_code == 404


def test_a_rejected_approval_leaves_the_record_and_can_be_asked_again(
    desk: dict[str, Api],
) -> None:
    lead = desk["support_lead"]
    ticket = _opened(lead)
    assert _run(lead, ticket, "resolve", {"resolution": "fixed"}).status_code == 200
    url = f"ticket/{ticket['id']}/transitions/close"
    assert lead.post(f"{url}/reject").status_code == 409  # nothing pending yet
    assert lead.post(url).status_code == 202
    rejected = lead.post(f"{url}/reject")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["record"]["status"] == "resolved"
    assert lead.post(url).status_code == 202
    assert desk["admin"].post(f"{url}/approve").status_code == 200


def test_patch_of_the_state_field_runs_the_matching_transition(desk: dict[str, Api]) -> None:
    agent, rep = desk["support_agent"], desk["sales_rep"]
    ticket = _ticket(agent)
    url = f"ticket/{ticket['id']}"
    opened = agent.patch(url, json={"status": "open"})
    assert opened.status_code == 200, opened.text
    illegal = agent.patch(url, json={"status": "closed"})
    assert illegal.status_code == 409
    assert _reason(illegal) == (
        "No transition of workflow 'ticket_flow' moves a ticket from 'open' to 'closed'; "
        "from 'open' you can run 'resolve' (to 'resolved'), 'escalate' (to 'open')."
    )
    assert _reason(agent.patch(url, json={"status": "resolved"})) == "Write the resolution first."
    assert rep.patch(url, json={"status": "resolved", "resolution": "x"}).status_code == 403
    resolved = agent.patch(url, json={"status": "resolved", "resolution": "x"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_at"] is not None
    needs_approval = desk["support_lead"].patch(url, json={"status": "closed"})
    assert needs_approval.status_code == 409
    assert "needs the approval" in _reason(needs_approval)
    assert agent.get(url).json()["status"] == "resolved"


def test_available_transitions_depend_on_state_and_roles(desk: dict[str, Api]) -> None:
    ticket = _opened(desk["admin"])
    url = f"ticket/{ticket['id']}/transitions"

    def names(role: str) -> list[str]:
        response = desk[role].get(url)
        assert response.status_code == 200, response.text
        return [t["name"] for t in response.json()["transitions"]]

    assert names("sales_rep") == []
    assert names("support_agent") == ["resolve"]
    assert names("support_lead") == ["resolve", "escalate"]
    assert names("admin") == ["resolve", "escalate"]
    body = desk["support_agent"].get(url).json()
    assert body["states"] == [
        {"workflow": "ticket_flow", "field": "status", "state": "open", "pending": None}
    ]
    (resolve,) = body["transitions"]
    assert (resolve["to"], resolve["label"], resolve["guard"], resolve["ready"]) == (
        "resolved",
        "Resolve",
        False,
        False,
    )
    assert resolve["reason"] == "Write the resolution first."
    desk["admin"].patch(f"ticket/{ticket['id']}", json={"resolution": "done"})
    (resolve,) = desk["support_agent"].get(url).json()["transitions"]
    assert (resolve["guard"], resolve["ready"], resolve["reason"]) == (True, True, None)
    assert desk["admin"].get("ticket/424242/transitions").status_code == 404


def test_publishing_an_unreachable_state_fails_with_its_position(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    root = write_package({"ticket": TICKET})
    unreachable = FLOW.replace("from: [resolved, closed], to: open", "from: [resolved], to: open")
    unreachable = unreachable.replace("to: closed", "to: resolved")
    _write(root, "workflows/ticket_flow.yaml", unreachable)
    runtime.registry.create_tenant("broken")
    with pytest.raises(MetadataError) as caught:
        publish(runtime, "broken", root)
    (error,) = caught.value.errors
    assert error.code == "MD068"
    assert str(error).endswith(
        "workflows/ticket_flow.yaml:5:31: error MD068: state 'closed' cannot be reached "
        "from the initial state 'new' by any transition"
    )
    assert runtime.registry.get_tenant("broken").current_version is None  # type: ignore[union-attr]


def test_crm_ticket_flow(runtime: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    create_tenant(runtime, "crm-desk", "crm", "boss@crm.test", "long enough secret")
    apis: dict[str, Api] = {}
    for role in ("support_agent", "support_lead"):
        email = f"{role}@crm.test"
        user = runtime.registry.ensure_user(email, "password123")
        runtime.registry.add_membership("crm-desk", user, [role])
        apis[role] = Api(client, "crm-desk", runtime.registry.create_token("crm-desk", email))
    agent, lead = apis["support_agent"], apis["support_lead"]
    # Support agents read accounts (CRM roles.yaml); the admin creates one.
    boss = Api(client, "crm-desk", runtime.registry.create_token("crm-desk", "boss@crm.test"))
    assert agent.post("account", json={"name": "Acme"}).status_code == 403
    account = boss.post("account", json={"name": "Acme"})
    assert account.status_code == 201, account.text
    created = agent.post("ticket", json={"subject": "Login fails", "account": account.json()["id"]})
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert (ticket["status"], ticket["priority"]) == ("new", "normal")
    assert ticket["opened_at"] is not None
    assert _run(agent, ticket, "open").status_code == 200
    assert _reason(_run(agent, ticket, "resolve")) == (
        "Write the resolution before resolving the ticket."
    )
    resolved = _run(agent, ticket, "resolve", {"resolution": "Reset the password."})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_at"] is not None
    assert _run(agent, ticket, "close").status_code == 403
    closed = _run(lead, ticket, "close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert _run(agent, ticket, "reopen").json()["status"] == "open"
