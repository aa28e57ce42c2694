"""The workflow designer sets a transition's roles, approval, required fields and on_enter,
and the initial state, on SQLite and PostgreSQL (issue 16).

Each change goes into the draft as a change of the nodes it touches (comments kept);
after a publish the transition enforces it. A bad one answers 422 with the package
check's positioned error (file:line:col, stable code) and leaves the draft as it was.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from test_meta_workflow_designer import FLOW, write_flow_package

from trellis.platform.drafts import DraftStore, publish_draft
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import Api, PackageWriter
from ui_activity_support import screen_problems, signed_in_client
from ui_support import add_user, post_form

TENANT = "desk"
PATH = "workflows/ticket_flow.yaml"
URL = f"/t/{TENANT}/admin/workflows/ticket_flow"
_ALL = "{actions: [create, read, update, delete], scope: all}"
ROLES = "roles:\n" + "".join(
    f"  {role}:\n    entities:\n      ticket: {_ALL}\n" for role in ("agent", "lead")
)
WRITTEN = textwrap.dedent(FLOW).lstrip()


@pytest.fixture
def desk(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """The ticket workflow with roles agent and lead; an admin, an agent and a lead."""
    root = write_flow_package(write_package)
    (root / "roles.yaml").write_text(ROLES)
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    add_user(runtime, TENANT, "admin@desk.test", ["admin"])
    for role in ("agent", "lead"):
        add_user(runtime, TENANT, f"{role}@desk.test", [role])
    return runtime


@pytest.fixture
def admin(desk: Runtime) -> Iterator[TestClient[Any]]:
    """The admin's browser."""
    with TestClient(app=create_web_app(desk)) as client:
        yield signed_in_client(client, TENANT, "admin@desk.test")


def _revision(runtime: Runtime) -> int:
    return DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).revision


def _draft_text(runtime: Runtime) -> str | None:
    files = DraftStore(runtime.registry).load(runtime.tenant(TENANT, fresh=True).id).files
    return files[PATH].text if PATH in files else None


def _edit(runtime: Runtime, name: str, **values: Any) -> dict[str, Any]:
    base = {"draft_version": str(_revision(runtime)), "op": "edit_transition", "name": name}
    return {**base, "guard": "", "on_enter": "", "approval_role": "", **values}


def _api(client: TestClient[Any], runtime: Runtime, role: str) -> Api:
    return Api(client, TENANT, runtime.registry.create_token(TENANT, f"{role}@desk.test"))


def test_roles_and_required_fields_set_in_the_designer_are_enforced_after_publish(
    desk: Runtime, admin: TestClient[Any], client: TestClient[Any]
) -> None:
    page = admin.get(URL)
    assert page.status_code == 200 and screen_problems(page.text) == []
    assert 'id="tr-close-role-lead"' in page.text  # the declared roles are offered
    assert 'id="tr-close-required-resolution"' in page.text  # and the entity's fields
    close = _edit(desk, "close", roles=["lead"], required=["resolution"])
    saved = post_form(admin, URL, close)
    assert saved.status_code == 200, saved.text
    assert "Roles: lead" in saved.text and "Required fields: resolution" in saved.text
    spanish = admin.get(URL, headers={"accept-language": "es"}).text
    assert "Campos obligatorios: resolution" in spanish
    on_enter = 'resolution = "picked up"'
    saved = post_form(admin, URL, _edit(desk, "open", on_enter=on_enter, approval_role=""))
    assert saved.status_code == 200, saved.text
    text = _draft_text(desk)
    assert text is not None
    # Only the two transitions' lines changed: the comment and the rest stay as written.
    assert "# Open it, then close it.\n" in text
    old, new = WRITTEN.splitlines(), text.splitlines()
    assert [line for line in new if line not in old] == [
        "  - {name: open, label: {en: Open, es: Abrir}, from: [new], to: open, "
        "on_enter: {set: {resolution: '\"picked up\"'}}}",
        "  - {name: close, label: {en: Close, es: Cerrar}, from: [open], to: closed, "
        "roles: [lead], required: [resolution]}",
    ]
    publish_draft(desk, TENANT, actor="admin@desk.test", comment="close: leads", confirm=False)

    agent, lead = _api(client, desk, "agent"), _api(client, desk, "lead")
    ticket = agent.post("ticket", json={"subject": "Printer"}).json()
    opened = agent.post(f"ticket/{ticket['id']}/transitions/open")
    assert opened.status_code == 200, opened.text
    assert agent.get(f"ticket/{ticket['id']}").json()["resolution"] == "picked up"
    assert agent.post(f"ticket/{ticket['id']}/transitions/close").status_code == 403
    assert agent.patch(f"ticket/{ticket['id']}", json={"resolution": ""}).status_code == 200
    empty = lead.post(f"ticket/{ticket['id']}/transitions/close")
    assert empty.status_code == 409, empty.text  # required: resolution
    assert "needs 'Resolution' filled in first" in empty.text
    assert lead.patch(f"ticket/{ticket['id']}", json={"resolution": "Fixed"}).status_code == 200
    closed = lead.post(f"ticket/{ticket['id']}/transitions/close")
    assert closed.status_code == 200, closed.text
    assert lead.get(f"ticket/{ticket['id']}").json()["status"] == "closed"


def test_approval_and_the_initial_state_are_saved_in_place(
    desk: Runtime, admin: TestClient[Any]
) -> None:
    approval = _edit(desk, "close", approval_role="lead", approval_when="resolution is empty")
    saved = post_form(admin, URL, approval)
    assert saved.status_code == 200, saved.text
    assert "Approved by: lead" in saved.text
    initial = {"draft_version": str(_revision(desk)), "op": "set_initial", "state": "open"}
    assert 'aria-label="Make Open the initial state"' in saved.text
    moved = post_form(admin, URL, initial)
    assert moved.status_code == 200, moved.text
    text = _draft_text(desk)
    assert text is not None
    assert "initial: open\n" in text and "# Open it, then close it.\n" in text
    assert "approval: {role: lead, when: resolution is empty}" in text
    # Nothing leads back to ``new`` now: flagged, saved all the same.
    assert "Unreachable from the initial state: New." in moved.text
    # Taking the approval off removes the key and nothing else.
    post_form(admin, URL, _edit(desk, "close"))
    assert "approval" not in (_draft_text(desk) or "")


def _position(needle: str) -> int:
    """The 1-based line of the written workflow file holding ``needle``."""
    return next(i for i, line in enumerate(WRITTEN.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        (
            {"op": "edit_transition", "name": "close", "roles": ["lead", "bos"]},
            rf"{PATH}:{_position('name: close')}:\d+: error MD074: transition 'close': "
            r"unknown role 'bos' in 'roles'",
        ),
        (
            {"op": "edit_transition", "name": "close", "approval_role": "leed"},
            rf"{PATH}:{_position('name: close')}:\d+: error MD074: .*'leed'.*did you mean "
            r"'lead'",
        ),
        (
            {"op": "edit_transition", "name": "close", "required": ["resolutoin"]},
            rf"{PATH}:{_position('name: close')}:\d+: error MD065: .*'resolutoin'.*"
            r"'resolution'",
        ),
        (
            {"op": "set_initial", "state": "nowhere"},
            rf"{PATH}:{_position('initial:')}:10: error MD067: initial state 'nowhere'",
        ),
        (
            {"op": "edit_transition", "name": "open", "on_enter": "resolution"},
            r"Line 1 of 'On entering': write one field = expression per line.",
        ),
        (
            {"op": "edit_transition", "name": "open", "approval_when": "true"},
            r"An approval condition needs the role that approves.",
        ),
    ],
)
def test_bad_input_is_refused_positioned_and_the_draft_is_untouched(
    desk: Runtime, admin: TestClient[Any], values: dict[str, Any], pattern: str
) -> None:
    before = _revision(desk)
    posted = {"draft_version": str(before), "guard": "", "on_enter": "", **values}
    refused = post_form(admin, URL, posted)
    assert refused.status_code == 422, refused.text
    assert re.search(pattern, html.unescape(refused.text)), refused.text
    assert _revision(desk) == before
    assert _draft_text(desk) is None  # the draft never got the file
    if values["op"] == "edit_transition":  # what was typed stays in the form
        assert re.search(r"<details class=\"flow-edit\" open>", refused.text)


def test_a_member_who_is_not_an_admin_gets_403(desk: Runtime) -> None:
    before = _revision(desk)
    with TestClient(app=create_web_app(desk)) as client:
        signed_in_client(client, TENANT, "lead@desk.test")
        assert client.get(URL).status_code == 403
        edit = {"draft_version": str(before), "op": "edit_transition", "name": "close"}
        assert post_form(client, URL, {**edit, "roles": ["lead"]}).status_code == 403
        initial = {"draft_version": str(before), "op": "set_initial", "state": "open"}
        assert post_form(client, URL, initial).status_code == 403
    assert _revision(desk) == before and _draft_text(desk) is None
