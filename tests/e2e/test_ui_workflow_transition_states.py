"""The workflow designer moves a transition (its ``from`` and ``to``) and sets the message
shown when its condition fails, on SQLite and PostgreSQL (issue 16).

The change lands in the draft as the transition's own line (comments and the rest kept);
after a publish the transition runs from its new states and refuses with the message. An
unknown state answers 422 naming the field, a stale page 409; nothing is saved then.
"""

from __future__ import annotations

import html
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
WRITTEN = textwrap.dedent(FLOW).lstrip()


@pytest.fixture
def desk(runtime: Runtime, write_package: PackageWriter) -> Runtime:
    """The ticket workflow (new -> open -> closed); an admin."""
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_flow_package(write_package))
    add_user(runtime, TENANT, "admin@desk.test", ["admin"])
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


def test_a_transition_moved_with_a_message_is_saved_in_place_and_runs_after_publish(
    desk: Runtime, admin: TestClient[Any], client: TestClient[Any]
) -> None:
    page = admin.get(URL)
    assert page.status_code == 200 and screen_problems(page.text) == []
    # The form shows where the transition goes now.
    assert 'id="tr-close-from-open" name="from" value="open" checked' in page.text
    assert '<option value="closed" selected>' in page.text
    moved = _edit(
        desk,
        "close",
        **{"from": ["new", "open"], "to": "closed"},
        guard="resolution is not empty",
        message_en="Write the resolution first.",
        message_es="Escriba primero la resolución.",
    )
    saved = post_form(admin, URL, moved)
    assert saved.status_code == 200, saved.text
    assert "Message: Write the resolution first." in saved.text
    spanish = admin.get(URL, headers={"accept-language": "es"}).text
    assert "Mensaje: Escriba primero la resolución." in spanish
    text = _draft_text(desk)
    assert text is not None and "# Open it, then close it.\n" in text
    old, new = WRITTEN.splitlines(), text.splitlines()
    assert [line for line in new if line not in old] == [
        "  - {name: close, label: {en: Close, es: Cerrar}, from: [new, open], to: closed, "
        "guard: resolution is not empty, message: {en: Write the resolution first., "
        "es: Escriba primero la resolución.}}",
    ]
    # The same message in both languages is written once; unchanged states keep their text.
    same = _edit(
        desk,
        "open",
        **{"from": ["new"], "to": "open"},
        guard="subject is not empty",
        message_en="No.",
        message_es="No.",
    )
    assert post_form(admin, URL, same).status_code == 200
    text = _draft_text(desk) or ""
    assert (
        "{name: open, label: {en: Open, es: Abrir}, from: [new], to: open, "
        "guard: subject is not empty, message: No.}" in text
    )
    publish_draft(desk, TENANT, actor="admin@desk.test", comment="close from new", confirm=False)

    api = Api(client, TENANT, desk.registry.create_token(TENANT, "admin@desk.test"))
    ticket = api.post("ticket", json={"subject": "Printer"}).json()
    refused = api.post(f"ticket/{ticket['id']}/transitions/close")
    assert refused.status_code == 409 and "Write the resolution first." in refused.text
    es = api.post(f"ticket/{ticket['id']}/transitions/close", headers={"accept-language": "es"})
    assert es.status_code == 409 and "Escriba primero la resolución." in es.text
    assert api.patch(f"ticket/{ticket['id']}", json={"resolution": "Done"}).status_code == 200
    closed = api.post(f"ticket/{ticket['id']}/transitions/close")  # straight from ``new``
    assert closed.status_code == 200, closed.text
    assert api.get(f"ticket/{ticket['id']}").json()["status"] == "closed"


@pytest.mark.parametrize(
    ("values", "english", "spanish"),
    [
        (
            {"from": ["open", "nowhere"], "to": "closed"},
            "'From': the workflow has no state 'nowhere'.",
            "«Desde»: el flujo de trabajo no tiene el estado «nowhere».",
        ),
        (
            {"from": ["open"], "to": "elsewhere"},
            "'To': the workflow has no state 'elsewhere'.",
            "«Hasta»: el flujo de trabajo no tiene el estado «elsewhere».",
        ),
        (
            {"to": "closed"},
            "Choose at least one state the transition starts from.",
            "Elija al menos un estado del que parta la transición.",
        ),
        (
            {"from": ["open"]},
            "'To': choose the state the transition leads to.",
            "«Hasta»: elija el estado al que lleva la transición.",
        ),
        (
            {"from": ["open"], "to": "closed", "message_en": "Only English"},
            "Give the message in English and in Spanish, or leave both empty.",
            "Escriba el mensaje en inglés y en español, o deje ambos vacíos.",
        ),
    ],
)
def test_bad_states_or_messages_are_refused_in_both_languages_and_nothing_is_saved(
    desk: Runtime, admin: TestClient[Any], values: dict[str, Any], english: str, spanish: str
) -> None:
    before = _revision(desk)
    refused = post_form(admin, URL, _edit(desk, "close", **values))
    assert refused.status_code == 422, refused.text
    assert english in html.unescape(refused.text)
    assert '<details class="flow-edit" open>' in refused.text  # what was typed stays
    es = post_form(admin, URL, _edit(desk, "close", **values), headers={"accept-language": "es"})
    assert es.status_code == 422 and spanish in html.unescape(es.text)
    assert _revision(desk) == before and _draft_text(desk) is None


def test_a_stale_page_gets_409_and_nothing_is_saved(desk: Runtime, admin: TestClient[Any]) -> None:
    page_read = _edit(desk, "close", **{"from": ["new"], "to": "closed"})
    other = _edit(desk, "open", **{"from": ["new"], "to": "open"}, guard="subject is not empty")
    assert post_form(admin, URL, other).status_code == 200
    after = _revision(desk)
    stale = post_form(admin, URL, page_read)
    assert stale.status_code == 409, stale.text
    assert "Nothing was changed" in stale.text
    assert _revision(desk) == after
    text = _draft_text(desk) or ""
    assert "from: [open], to: closed" in text  # ``close`` as it was
