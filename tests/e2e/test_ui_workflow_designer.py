"""The workflow and pipeline designers' pages on SQLite and PostgreSQL (issue 16).

Every change is a form post saved to the draft; a bad one answers 422 with the
reason (positioned when the package check refuses it), a stale one 409, and
nothing changes in either case.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from test_meta_workflow_designer import write_flow_package

from trellis.platform.drafts import DraftStore
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter
from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "desk"
FLOW_URL = f"/t/{TENANT}/admin/workflows/ticket_flow"
PIPELINES_URL = f"/t/{TENANT}/admin/pipelines"
DEAL = """
pipeline: deal
label: {en: Deals, es: Tratos}
stages:
  - {name: talk, label: {en: Talk, es: Charla}, probability: 10}
  - {name: offer, label: {en: Offer, es: Oferta}, probability: 50, colour: blue}
  - {name: won, label: {en: Won, es: Ganado}, probability: 100, won: true}
"""

JOB = """label: Job
fields:
  title: {type: string}
  stage: {type: pipeline, pipeline: deal, default: '"talk"'}
"""


@pytest.fixture
def desk(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """A tenant with the ticket workflow and a deal pipeline, an admin and an agent."""
    root = write_flow_package(write_package)
    (root / "pipelines").mkdir()
    (root / "pipelines" / "deal.yaml").write_text(textwrap.dedent(DEAL).lstrip())
    (root / "entities" / "job.yaml").write_text(JOB)
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    add_user(runtime, TENANT, "admin@desk.test", ["admin"])
    add_user(runtime, TENANT, "agent@desk.test", ["agent"])
    return runtime


@pytest.fixture
def admin(desk: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser."""
    with TestClient(app=create_web_app(desk)) as client:
        yield signed_in_client(client, TENANT, "admin@desk.test")


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _flagged(html: str) -> list[str]:
    return re.findall(r'class="flow-state[^"]*unreachable[^"]*" id="flow-state-(\w+)"', html)


def test_add_a_state_see_it_flagged_then_a_transition_clears_the_flag(
    desk: Runtime, admin: TestClient[Any]
) -> None:
    page = admin.get(FLOW_URL)
    assert page.status_code == 200
    assert "<svg" in page.text and 'id="flow-state-new"' in page.text
    assert 'data-transition="close" data-from="open" data-to="closed"' in page.text
    assert _flagged(page.text) == []
    assert "Every state can be reached from the initial state." in page.text
    assert screen_problems(page.text) == []
    final = {"draft_version": str(_revision(desk)), "op": "final_state", "state": "closed"}
    assert post_form(admin, FLOW_URL, final).status_code == 200  # ``done: [closed]``
    data = {"draft_version": str(_revision(desk)), "op": "add_state", "state": "waiting"}
    added = post_form(admin, FLOW_URL, {**data, "label_en": "Waiting", "label_es": "En espera"})
    assert added.status_code == 200
    assert "Workflow saved in the draft." in added.text
    assert _flagged(added.text) == ["waiting"]
    assert "Unreachable from the initial state: Waiting." in added.text  # text, not only colour
    spanish = admin.get(FLOW_URL, headers={"accept-language": "es"})
    assert "Inalcanzable desde el estado inicial: En espera." in spanish.text
    listed = admin.get(f"/t/{TENANT}/admin/workflows")
    assert "Unreachable: waiting" in listed.text

    data = {"draft_version": str(_revision(desk)), "op": "add_transition", "name": "wait"}
    moved = post_form(admin, FLOW_URL, {**data, "from": ["open", "new"], "to": "waiting"})
    assert moved.status_code == 200
    assert _flagged(moved.text) == []
    assert 'data-transition="wait" data-from="new" data-to="waiting"' in moved.text
    # Nothing leaves it and ``done`` does not name it: a dead end, until marked final.
    assert "Dead ends: Waiting." in moved.text
    assert 'aria-label="Mark Waiting as final"' in moved.text
    final = {"draft_version": str(_revision(desk)), "op": "final_state", "state": "waiting"}
    marked = post_form(admin, FLOW_URL, final)
    assert "Dead ends" not in marked.text
    assert screen_problems(marked.text) == []


def test_refused_changes_answer_422_with_the_reason_and_keep_the_draft(
    desk: Runtime, admin: TestClient[Any]
) -> None:
    before = _revision(desk)
    data = {"draft_version": str(before), "op": "add_transition", "name": "reopen"}
    bad_guard = {**data, "from": "closed", "to": "open", "guard": "resolutin > 1"}
    refused = post_form(admin, FLOW_URL, bad_guard)
    assert refused.status_code == 422
    assert re.search(r"workflows/ticket_flow\.yaml:\d+:\d+: error MD020: ", refused.text)
    assert "did you mean &#39;resolution&#39;?" in refused.text
    assert 'value="resolutin &gt; 1"' in refused.text  # what was typed is kept
    initial = {"draft_version": str(before), "op": "remove_state", "state": "new"}
    kept = post_form(admin, FLOW_URL, initial, headers={"accept-language": "es"})
    assert kept.status_code == 422
    assert "es el estado inicial" in kept.text
    assert _revision(desk) == before

    label = {"draft_version": str(before), "op": "label_transition", "name": "open"}
    post_form(admin, FLOW_URL, {**label, "label_en": "Start", "label_es": "Empezar"})
    stale = post_form(admin, FLOW_URL, {**label, "label_en": "Go", "label_es": "Ir"})
    assert stale.status_code == 409
    assert "Nothing was changed" in stale.text
    assert ">Start</text>" in stale.text
    assert _revision(desk) == before + 1


def test_the_pipeline_designer_reorders_adds_and_refuses(
    desk: Runtime, admin: TestClient[Any]
) -> None:
    page = admin.get(PIPELINES_URL)
    assert page.status_code == 200
    assert screen_problems(page.text) == []
    assert 'aria-label="Move Talk down"' in page.text
    data = {"draft_version": str(_revision(desk)), "stage": "talk", "op": "down"}
    moved = post_form(admin, f"{PIPELINES_URL}/deal", data)
    assert moved.status_code == 200
    assert re.findall(r'data-stage="(\w+)"', moved.text) == ["offer", "talk", "won"]
    new = {
        "draft_version": str(_revision(desk)),
        "op": "add",
        "stage": "lost",
        "label_en": "Lost",
        "label_es": "Perdido",
        "probability": "0",
        "colour": "red",
        "outcome": "lost",
    }
    added = post_form(admin, f"{PIPELINES_URL}/deal", new)
    assert re.findall(r'data-stage="(\w+)"', added.text) == ["offer", "talk", "won", "lost"]
    before = _revision(desk)
    bad = post_form(admin, f"{PIPELINES_URL}/deal", {**new, "stage": "maybe", "probability": "150"})
    assert bad.status_code == 422
    assert "The probability is a number from 0 to 100, not &#39;150&#39;." in bad.text
    spanish = {**new, "stage": "maybe", "colour": "pink"}
    bad = post_form(admin, f"{PIPELINES_URL}/deal", spanish, headers={"accept-language": "es"})
    assert "&#39;pink&#39; no es un color de insignia." in bad.text
    # The package check refuses removing the stage a field starts in, with its position.
    gone = {"draft_version": str(before), "op": "remove", "stage": "talk"}
    invalid = post_form(admin, f"{PIPELINES_URL}/deal", gone)
    assert invalid.status_code == 422
    assert re.search(r"entities/job\.yaml:\d+:\d+: error MD\d+: .*talk", invalid.text)
    stale = post_form(admin, f"{PIPELINES_URL}/deal", {**data, "draft_version": str(before - 1)})
    assert stale.status_code == 409
    assert "Nothing was changed" in stale.text
    assert _revision(desk) == before


def test_a_member_who_is_not_an_admin_gets_403(desk: Runtime) -> None:
    before = _revision(desk)
    with TestClient(app=create_web_app(desk)) as client:
        signed_in_client(client, TENANT, "agent@desk.test")
        for url in (f"/t/{TENANT}/admin/workflows", FLOW_URL, PIPELINES_URL):
            assert client.get(url).status_code == 403
        data = {"draft_version": str(before), "op": "remove_transition", "name": "open"}
        assert post_form(client, FLOW_URL, data).status_code == 403
        data = {"draft_version": str(before), "op": "down", "stage": "talk"}
        assert post_form(client, f"{PIPELINES_URL}/deal", data).status_code == 403
    assert _revision(desk) == before
