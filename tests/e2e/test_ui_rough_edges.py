"""Screens a new user meets (issue 18): defaults, tabs, transitions that ask, errors, money."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_records import Creator, creator, record
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def crm(runtime: Runtime) -> Iterator[tuple[TestClient[Any], Creator]]:
    """The CRM tenant with a signed-in admin who also works tickets."""
    crm_tenant(runtime)
    agent = add_user(runtime, "acme", "agent@acme.test", ["admin", "support_agent"])
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "agent@acme.test").status_code == 303
        yield client, creator(runtime, "acme", agent)


def test_new_form_shows_defaults_and_a_create_from_the_form_gets_them(
    crm: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = crm
    form = client.get("/t/acme/e/opportunity/new").text
    assert '<option value="prospecting" selected>' in form
    assert '<option value="EUR" selected>' in form
    name_input = re.search(r'<input id="fld-name"[^>]*>', form)
    assert name_input and 'required aria-required="true"' in name_input.group(0)
    lookup = form.split('id="lookup-account"')[1].split(">")[0]
    assert 'required aria-required="true"' in lookup

    account = create("account", name="Acme Corp")["id"]
    # Fields left empty in the form get their default, as for an API client that omits them.
    sent = {"name": "Form deal", "account": str(account), "stage": "", "currency": ""}
    done = post_form(client, "/t/acme/e/opportunity", sent, follow_redirects=False)
    assert done.status_code == 303
    ident = int(done.headers["location"].rsplit("/", 1)[1])
    saved = record(runtime, "acme", "opportunity", ident)
    assert (saved["stage"], saved["currency"]) == ("prospecting", "EUR")

    failed = post_form(client, "/t/acme/e/opportunity", {"name": ""}, headers=HX)
    assert failed.status_code == 422
    summary = failed.text.split('id="error-summary"')[1].split("</div>")[0]
    assert "data-focus-on-load" in failed.text.split('id="error-summary"')[1][:200]
    assert '<a href="#fld-name">Name</a>' in summary
    assert '<a href="#lookup-account">Account</a>' in summary


def test_detail_layout_tabs_are_real_tabs(crm: tuple[TestClient[Any], Creator]) -> None:
    client, create = crm
    account = create("account", name="Acme Corp")["id"]
    deal = create("opportunity", name="Tabbed", account=account)["id"]
    html = client.get(f"/t/acme/e/opportunity/{deal}").text
    assert 'role="tablist"' in html
    tabs = re.findall(r'role="tab" id="tab-(\d)"[^>]*aria-selected="(\w+)"[^>]*>([^<]+)<', html)
    assert [(n, selected, label) for n, selected, label in tabs] == [
        ("1", "true", "Overview"),
        ("2", "false", "Details"),
    ]
    second = html.split('id="tabpanel-2"')[1].split(">")[0]
    assert "hidden" in second and 'role="tabpanel"' in html
    assert "style=" not in html and "<script>" not in html


def test_a_transition_that_needs_a_field_asks_for_it_in_a_dialog(
    crm: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = crm
    ticket = create("ticket", subject="Printer on fire")["id"]
    url = f"/t/acme/e/ticket/{ticket}"
    assert post_form(client, f"{url}/transitions/open", {"version": "1"}, headers=HX).status_code
    asked = post_form(client, f"{url}/transitions/resolve", {"version": "2"}, headers=HX)
    assert asked.status_code == 409
    dialog = asked.text.split("<dialog")[1].split("</dialog>")[0]
    assert "data-open-on-load" in dialog and "Write the resolution" in dialog
    assert re.findall(r'name="_ask" value="(\w+)"', dialog) == ["resolution"]
    assert 'id="ask-resolution"' in dialog and 'id="flow-error"' not in asked.text

    empty = {"version": "2", "_ask": "resolution", "resolution": ""}
    again = post_form(client, f"{url}/transitions/resolve", empty, headers=HX)
    assert again.status_code == 409 and "This field is required." in again.text
    assert 'aria-invalid="true" aria-describedby="ask-err-resolution"' in again.text

    answer = {"version": "2", "_ask": "resolution", "resolution": "Replaced the fuser"}
    done = post_form(client, f"{url}/transitions/resolve", answer, headers=HX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == url
    saved = record(runtime, "acme", "ticket", ticket)
    assert (saved["status"], saved["resolution"]) == ("resolved", "Replaced the fuser")
    # Only fields the transition may ask for are taken from the post.
    sneaky = {"version": "3", "_ask": "subject", "subject": "changed"}
    post_form(client, f"{url}/transitions/reopen", sneaky, headers=HX)
    assert record(runtime, "acme", "ticket", ticket)["subject"] == "changed"  # writable field


def test_a_board_move_that_needs_a_field_asks_and_keeps_bad_values(
    crm: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = crm
    account = create("account", name="Acme Corp")["id"]
    deal = create("opportunity", name="Closing deal", account=account, amount="10")["id"]
    url = f"/t/acme/e/opportunity/{deal}/move"
    asked = post_form(client, url, {"stage": "won", "version": "1"}, headers=HX)
    assert asked.status_code == 422
    dialog = asked.text.split("<dialog")[1].split("</dialog>")[0]
    assert "Move to Won" in dialog and 'hx-target="#kanban-board"' in dialog
    assert re.findall(r'name="_ask" value="(\w+)"', dialog) == ["close_date"]
    assert '<input type="hidden" name="stage" value="won">' in dialog

    bad = {"stage": "won", "version": "1", "_ask": "close_date", "close_date": "soon"}
    kept = post_form(client, url, bad, headers=HX)
    assert kept.status_code == 422 and 'value="soon"' in kept.text
    assert 'id="ask-err-close_date"' in kept.text

    on_bar = post_form(client, f"{url}?view=bar", {"stage": "won", "version": "1"}, headers=HX)
    assert on_bar.status_code == 422 and 'hx-target="#record-flow"' in on_bar.text
    assert f'hx-post="{url}?view=bar"' in on_bar.text  # the stage bar asks the same way

    good = {**bad, "close_date": "2026-12-01"}
    moved = post_form(client, url, good, headers=HX)
    assert moved.status_code == 200 and "Moved to Won." in moved.text
    saved = record(runtime, "acme", "opportunity", deal)
    assert (saved["stage"], saved["close_date"]) == ("won", "2026-12-01")


def test_declared_colours_show_as_status_badges(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    root = write_package(
        {
            "job": """
                title: name
                fields:
                  name: {type: string, required: true}
                  priority:
                    type: enum
                    options: [low, high]
                    option_colours: {high: red}
                  phase: {type: pipeline, pipeline: work}
                layouts:
                  kanban: {field: phase, card: [priority]}
            """
        }
    )
    stages = "pipeline: work\nstages:\n  - {name: todo, probability: 0, colour: gray}\n"
    stages += "  - {name: done, probability: 100, won: true}\n"
    Path(root, "pipelines").mkdir()
    Path(root, "pipelines", "work.yaml").write_text(stages, encoding="utf-8")
    runtime.registry.create_tenant("shop")
    publish(runtime, "shop", root)
    admin = add_user(runtime, "shop", "admin@shop.test", ["admin"])
    create = creator(runtime, "shop", admin)
    job = create("job", name="Fix roof", priority="high", phase="todo")["id"]
    create("job", name="Paint", priority="low", phase="done")
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "shop", "admin@shop.test").status_code == 303
        listed = client.get("/t/shop/e/job").text
        assert '<span class="status-badge badge-red">high</span>' in listed
        assert '<span class="status-badge badge-gray">Todo</span>' in listed
        assert "badge-" not in listed.split("Paint")[1].split("</tr>")[0]  # no colour declared
        detail = client.get(f"/t/shop/e/job/{job}").text
        assert '<span class="status-badge badge-red">high</span>' in detail
        board = client.get("/t/shop/e/job/kanban").text
        assert '<span class="status-badge badge-red">high</span>' in board


def test_datetime_inputs_speak_the_members_zone(
    crm: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = crm
    activity = create("activity", subject="Call", due_at="2026-06-01T10:00:00Z")["id"]
    assert post_form(client, "/t/acme/account/timezone", {"timezone": "Europe/Madrid"})
    form = client.get(f"/t/acme/e/activity/{activity}/edit").text
    assert 'value="2026-06-01T12:00"' in form and "Time zone: Europe/Madrid" in form
    detail = client.get(f"/t/acme/e/activity/{activity}").text
    shown = re.search(r'id="value-due_at">(?:<[^>]+>)*([^<]*)<', detail)
    assert shown and shown.group(1) == "6/1/26, 12:00\u202fPM CEST", shown
    sent = {"subject": "Call", "kind": "call", "due_at": "2026-06-01T15:30", "version": "1"}
    saved = post_form(client, f"/t/acme/e/activity/{activity}", sent, follow_redirects=False)
    assert saved.status_code == 303
    assert record(runtime, "acme", "activity", activity)["due_at"] == "2026-06-01T13:30:00Z"
