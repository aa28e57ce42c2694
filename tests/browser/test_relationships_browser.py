"""Relationship fields on screens: ``many_to_many`` chosen with the lookup as chips, and
``any_reference`` chosen with an entity picker and the lookup; both shown as links."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from browser_support import LiveServer, sign_in_browser
from ui_support import add_user

DETAIL = re.compile(r".*/t/acme/e/meeting/\d+$")
ENTITIES = {
    "contact": """
        label: Contact
        title: name
        fields:
          name: {type: string, required: true}
    """,
    "meeting": """
        label: Meeting
        title: subject
        fields:
          subject: {type: string, required: true}
          participants: {type: many_to_many, to: contact}
    """,
    "note": """
        label: Note
        title: body
        fields:
          body: {type: string, required: true}
          related_to: {type: any_reference, targets: [contact, meeting]}
    """,
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tenant ``acme`` with contacts and meetings (SQLite), served on a free port."""
    data = tmp_path_factory.mktemp("rel-browser")
    root = data / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text("name: rel\nversion: 1.0.0\nlabel: Rel\n")
    for name, text in ENTITIES.items():
        (root / "entities" / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", root)
    add_user(runtime, "acme", "admin@acme.test", ["admin"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def _contact(page: Any, name: str) -> None:
    page.goto("/t/acme/e/contact/new")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/t/acme/e/contact/\d+$"))


def _add(page: Any, text: str, title: str) -> None:
    page.get_by_label("Add Participants").fill(text)
    page.locator(f'#lookup-list-participants [data-lookup-title="{title}"]').click()
    page.locator(f'#fld-participants .chip:has-text("{title}")').wait_for()


def test_pick_participants_as_chips_then_remove_one(page: Any) -> None:
    sign_in_browser(page)
    for name in ("Ana Ruiz", "Bea Soto", "Carl Vidal"):
        _contact(page, name)
    page.goto("/t/acme/e/meeting/new")
    page.get_by_label("Subject").fill("Kick-off")
    _add(page, "Ana", "Ana Ruiz")
    _add(page, "Carl", "Carl Vidal")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    shown = page.locator("#value-participants .chip a")
    assert shown.all_inner_texts() == ["Ana Ruiz", "Carl Vidal"]
    assert re.search(r"/t/acme/e/contact/\d+$", shown.first.get_attribute("href") or "")

    page.goto(page.url + "/edit")
    page.get_by_label("Ana Ruiz").uncheck()
    _add(page, "Bea", "Bea Soto")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    assert page.locator("#value-participants .chip a").all_inner_texts() == [
        "Bea Soto",
        "Carl Vidal",
    ]
    page.goto("/t/acme/e/meeting")
    assert "Bea Soto" in page.locator("#list-rows").inner_text()
    assert page.errors == []


def test_relate_a_note_to_a_meeting_with_the_entity_picker(page: Any) -> None:
    sign_in_browser(page)
    _contact(page, "Dora Paz")
    page.goto("/t/acme/e/meeting/new")
    page.get_by_label("Subject").fill("Quarterly review")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    meeting_url = page.url

    page.goto("/t/acme/e/note/new")
    page.get_by_label("Body").fill("Bring the figures")
    page.get_by_label("Related to: kind of record").select_option("meeting")
    page.get_by_label("Search Related to").fill("Quarterly")
    page.locator('#lookup-list-related_to [data-lookup-title="Quarterly review"]').click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/t/acme/e/note/\d+$"))
    link = page.locator("#value-related_to a")
    assert link.inner_text() == "Quarterly review"
    assert meeting_url.endswith(link.get_attribute("href") or "-")

    page.goto(page.url + "/edit")
    page.get_by_label("Related to: kind of record").select_option("contact")
    page.get_by_label("Search Related to").fill("Dora")
    page.locator('#lookup-list-related_to [data-lookup-title="Dora Paz"]').click()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/t/acme/e/note/\d+$"))
    assert page.locator("#value-related_to a").inner_text() == "Dora Paz"
    assert page.errors == []
