"""Detail-page workflow screens: transition buttons, approvals and the pipeline stage bar."""

from __future__ import annotations

import textwrap
from pathlib import Path

from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_records import creator, record
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}


def test_transition_buttons_run_through_the_workflow(runtime: Runtime) -> None:
    crm_tenant(runtime)
    agent = add_user(runtime, "acme", "agent@acme.test", ["support_agent"])
    ticket = creator(runtime, "acme", agent)("ticket", subject="Printer on fire")
    url = f"/t/acme/e/ticket/{ticket['id']}"
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "agent@acme.test").status_code == 303
        detail = client.get(url)
        assert f'hx-get="{url}/_flow"' in detail.text
        panel = client.get(f"{url}/_flow", headers=HX)
        # The state is shown by its label (option_labels: New / Nueva).
        assert panel.status_code == 200 and "Status: <strong>New</strong>" in panel.text
        assert 'data-transition="open"' in panel.text
        assert 'data-transition="close"' not in panel.text  # support_lead only

        opened = post_form(client, f"{url}/transitions/open", {"version": "1"}, headers=HX)
        assert opened.status_code == 204 and opened.headers["HX-Redirect"] == url
        assert "Open: done." in client.get(url).text
        assert record(runtime, "acme", "ticket", ticket["id"])["status"] == "open"

        guarded = post_form(client, f"{url}/transitions/resolve", {"version": "2"}, headers=HX)
        assert guarded.status_code == 409
        assert "<dialog" in guarded.text  # it asks for the resolution (test_ui_rough_edges)
        assert "Write the resolution before resolving the ticket." in guarded.text
        assert 'data-transition="resolve"' in guarded.text  # the panel is shown again

        stale = post_form(client, f"{url}/transitions/resolve", {"version": "1"}, headers=HX)
        assert stale.status_code == 409
        wrong_state = post_form(client, f"{url}/transitions/close", {}, headers=HX)
        assert wrong_state.status_code == 409 and "Close:" in wrong_state.text
        unknown = post_form(client, f"{url}/transitions/fly", {}, headers=HX)
        assert unknown.status_code == 404 and "No transition" in unknown.text
        bad_version = post_form(client, f"{url}/transitions/open", {"version": "x"}, headers=HX)
        assert bad_version.status_code == 422 and "whole number" in bad_version.text
        decision = post_form(client, f"{url}/transitions/open/maybe", {}, headers=HX)
        assert decision.status_code == 404 and "use approve or reject" in decision.text

        plain = post_form(client, f"{url}/transitions/resolve", {}, follow_redirects=False)
        assert plain.status_code == 303 and plain.headers["location"] == url
        assert "Write the resolution" in client.get(url).text
        assert record(runtime, "acme", "ticket", ticket["id"])["status"] == "open"
        hidden = client.get("/t/acme/e/ticket/999/_flow", headers=HX)
        assert hidden.status_code == 404


FLOW = """
    workflow: desk_flow
    entity: ticket
    field: status
    initial: new
    states: [new, closed]
    transitions:
      - name: close
        label: Close
        from: [new]
        to: closed
        roles: [support_agent, support_lead]
        approval: {role: support_lead}
"""
ROLES = """
    roles:
      support_agent:
        entities:
          ticket: {actions: [create, read, update], scope: all}
      support_lead:
        entities:
          ticket: {actions: [create, read, update], scope: all}
"""


def test_approval_is_requested_then_decided_from_the_panel(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    root = write_package(
        {
            "ticket": """
                title: subject
                fields:
                  subject: {type: string, required: true}
                  status: {type: enum, options: [new, closed]}
            """
        }
    )
    for name, text in (("workflows/desk_flow.yaml", FLOW), ("roles.yaml", ROLES)):
        path = Path(root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant("desk")
    publish(runtime, "desk", root)
    agent = add_user(runtime, "desk", "agent@desk.test", ["support_agent"])
    add_user(runtime, "desk", "lead@desk.test", ["support_lead"])
    add_user(runtime, "desk", "admin@desk.test", ["admin"])
    ticket = creator(runtime, "desk", agent)("ticket", subject="Close me")
    url = f"/t/desk/e/ticket/{ticket['id']}"
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "desk", "agent@desk.test").status_code == 303
        asked = post_form(client, f"{url}/transitions/close", {"version": "1"}, headers=HX)
        assert asked.status_code == 204
        page = client.get(url).text
        assert "Close: approval requested from the role" in page
        panel = client.get(f"{url}/_flow", headers=HX).text
        assert "Waiting for approval" in panel and "support_lead" in panel
        assert "/transitions/close/approve" not in panel  # the agent cannot decide
        again = post_form(client, f"{url}/transitions/close", {}, headers=HX)
        assert again.status_code == 409
        refused = post_form(client, f"{url}/transitions/close/approve", {}, headers=HX)
        assert refused.status_code == 403
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "desk", "lead@desk.test").status_code == 303
        panel = client.get(f"{url}/_flow", headers=HX).text
        assert "/transitions/close/approve" in panel and "/transitions/close/reject" in panel
        approved = post_form(client, f"{url}/transitions/close/approve", {}, headers=HX)
        assert approved.status_code == 204
        assert "Close: done." in client.get(url).text
        assert record(runtime, "desk", "ticket", ticket["id"])["status"] == "closed"


def test_stage_bar_shows_and_moves_the_pipeline_stage(runtime: Runtime) -> None:
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    create = creator(runtime, "acme", admin)
    account = create("account", name="Acme Corp")["id"]
    deal = create("opportunity", name="Deal", account=account, stage="qualification")
    url = f"/t/acme/e/opportunity/{deal['id']}"
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        bar = client.get(f"{url}/_flow", headers=HX).text
        assert '<nav class="stage-bar" aria-label="Stage">' in bar
        assert 'class="stage current"' in bar and 'aria-current="step">Qualification<' in bar
        assert 'class="stage done"' in bar  # prospecting lies behind
        assert 'class="stage won"' in bar and 'class="stage lost"' in bar
        assert "Status:" not in bar  # opportunities have no workflow

        refused = post_form(
            client, f"{url}/move?view=bar", {"stage": "won", "version": "1"}, headers=HX
        )
        assert refused.status_code == 422
        assert refused.text.startswith('<section id="record-flow"')
        assert "Set the close date before marking the opportunity won." in refused.text
        assert 'aria-current="step">Qualification<' in refused.text

        moved = post_form(
            client, f"{url}/move?view=bar", {"stage": "proposal", "version": "1"}, headers=HX
        )
        assert moved.status_code == 204 and moved.headers["HX-Redirect"] == url
        assert "Moved to Proposal." in client.get(url).text
        assert record(runtime, "acme", "opportunity", deal["id"])["stage"] == "proposal"
        plain = post_form(client, f"{url}/move?view=bar", {"stage": "won"}, follow_redirects=False)
        assert plain.status_code == 303 and plain.headers["location"] == url
        assert "Not moved:" in client.get(url).text
    account_panel = None
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        account_panel = client.get(f"/t/acme/e/account/{account}/_flow", headers=HX).text
    assert "stage-bar" not in account_panel and "transitions" not in account_panel
