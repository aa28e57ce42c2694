"""Kanban board screens: columns per stage, counts and totals, filters, scope and moves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_records import Creator, creator, record
from ui_support import add_user, crm_tenant, post_form, sign_in

HX = {"HX-Request": "true"}


@pytest.fixture
def board(runtime: Runtime) -> Iterator[tuple[TestClient[Any], Creator]]:
    """Tenant 'acme' with an account; a client signed in as its admin; a record creator."""
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    create = creator(runtime, "acme", admin)
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client, create


def column(html: str, stage: str) -> str:
    """The HTML of one board column."""
    found = re.search(rf'data-stage-drop="{stage}".*?</section>', html, re.S)
    assert found, f"no column {stage}"
    return found.group(0)


def test_board_columns_counts_totals_and_filters(
    board: tuple[TestClient[Any], Creator],
) -> None:
    client, create = board
    account = create("account", name="Acme Corp")["id"]
    create("opportunity", name="Small deal", account=account, amount="100", stage="prospecting")
    create("opportunity", name="Second deal", account=account, amount="250.5")
    create("opportunity", name="Proposal deal", account=account, amount="50", stage="proposal")

    page = client.get("/t/acme/e/opportunity/kanban")
    assert page.status_code == 200
    html = page.text
    labels = re.findall(r'<h2 id="col-[a-z]+">([^<]+)</h2>', html)
    assert labels == ["Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"]
    prospecting = column(html, "prospecting")
    assert '<span class="kanban-count" data-count>2</span>' in prospecting
    assert "350.50" in prospecting
    assert "Small deal" in prospecting and "Second deal" in prospecting
    assert "Proposal deal" in column(html, "proposal")
    assert '<span class="kanban-count" data-count>0</span>' in column(html, "won")
    assert 'class="kanban-column won"' in html and 'class="kanban-column lost"' in html
    assert 'label for="move-' in html  # keyboard users move cards with a select

    searched = client.get("/t/acme/e/opportunity/kanban?q=small").text
    assert "Small deal" in searched and "Second deal" not in searched
    assert "100.00" in column(searched, "prospecting")
    built = client.get("/t/acme/e/opportunity/kanban?f=amount&op=ge&v=200").text
    assert "Second deal" in built and "Small deal" not in built
    fragment = client.get("/t/acme/e/opportunity/kanban?part=board&q=proposal", headers=HX)
    assert (
        fragment.text.startswith('<section id="kanban-board"') and "Proposal deal" in fragment.text
    )


def test_board_bad_inputs_are_explained(board: tuple[TestClient[Any], Creator]) -> None:
    client, _ = board
    bad = client.get("/t/acme/e/opportunity/kanban?filter=amout%20%3E%201")
    assert bad.status_code == 200
    assert 'id="kanban-error"' in bad.text and "amout" in bad.text
    none = client.get("/t/acme/e/account/kanban")
    assert none.status_code == 404 and "Accounts have no kanban board." in none.text
    unknown = client.get("/t/acme/e/nothing/kanban")
    assert unknown.status_code == 404


def test_move_saves_through_the_api_and_refusals_snap_back(
    board: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    client, create = board
    account = create("account", name="Acme Corp")["id"]
    deal = create("opportunity", name="Moving deal", account=account, amount="10")
    url = f"/t/acme/e/opportunity/{deal['id']}/move?q=moving"

    moved = post_form(client, url, {"stage": "proposal", "version": "1"}, headers=HX)
    assert moved.status_code == 200
    assert 'id="kanban-message"' in moved.text and "Moved to Proposal." in moved.text
    assert "Moving deal" in column(moved.text, "proposal")
    assert record(runtime, "acme", "opportunity", deal["id"])["stage"] == "proposal"

    stale = post_form(client, url, {"stage": "negotiation", "version": "1"}, headers=HX)
    assert stale.status_code == 409
    assert 'id="kanban-move-error"' in stale.text and "Not moved:" in stale.text
    assert "Moving deal" in column(stale.text, "proposal")  # the card snaps back

    invalid = post_form(client, url, {"stage": "won", "version": "2"}, headers=HX)
    assert invalid.status_code == 422
    assert "Set the close date before marking the opportunity won." in invalid.text
    assert "Moving deal" in column(invalid.text, "proposal")

    for form, message in (
        ({"stage": "nope", "version": "2"}, "nope&#39; is not a stage; choose one of: prospecting"),
        ({"version": "2"}, "Choose the stage to move to."),
        ({"stage": "won", "version": "two"}, "The version must be a whole number."),
    ):
        refused = post_form(client, url, form, headers=HX)
        assert refused.status_code == 422 and message in refused.text
    assert record(runtime, "acme", "opportunity", deal["id"])["stage"] == "proposal"

    plain = post_form(client, url, {"stage": "negotiation"}, follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == "/t/acme/e/opportunity/kanban?q=moving"
    shown = client.get(plain.headers["location"])
    assert "Moved to Negotiation." in shown.text
    assert record(runtime, "acme", "opportunity", deal["id"])["stage"] == "negotiation"


def test_board_and_moves_follow_the_callers_scope(
    board: tuple[TestClient[Any], Creator], runtime: Runtime
) -> None:
    _, create = board
    account = create("account", name="Acme Corp")["id"]
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    add_user(runtime, "acme", "viewer@acme.test", ["read_only"])
    theirs = create("opportunity", name="Admin deal", account=account)
    mine = creator(runtime, "acme", rep)("opportunity", name="Rep deal", account=account)
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "rep@acme.test").status_code == 303
        html = client.get("/t/acme/e/opportunity/kanban").text
        assert "Rep deal" in html and "Admin deal" not in html
        assert '<span class="kanban-count" data-count>1</span>' in column(html, "prospecting")
        hidden = post_form(
            client, f"/t/acme/e/opportunity/{theirs['id']}/move", {"stage": "proposal"}, headers=HX
        )
        assert hidden.status_code == 404
        assert record(runtime, "acme", "opportunity", theirs["id"])["stage"] == "prospecting"
        ok = post_form(
            client, f"/t/acme/e/opportunity/{mine['id']}/move", {"stage": "proposal"}, headers=HX
        )
        assert ok.status_code == 200
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "viewer@acme.test").status_code == 303
        html = client.get("/t/acme/e/opportunity/kanban").text
        assert "Admin deal" in html and "Rep deal" in html
        assert "Move to" not in html and "draggable" not in html
        refused = post_form(
            client, f"/t/acme/e/opportunity/{mine['id']}/move", {"stage": "won"}, headers=HX
        )
        assert refused.status_code == 403 and "Not moved:" in refused.text
