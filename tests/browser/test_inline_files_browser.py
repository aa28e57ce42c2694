"""A file field edited in place on the record page in Chromium: upload, refusals in
place (415, 413), a stale version as a conflict in place, remove."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

from browser_support import LiveServer, open_in_place, sign_in_browser
from files_support import ELF, PNG, write_files_package
from ui_records import creator

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tenant ``acme`` with file fields (SQLite, local file store) on a free port."""
    data = tmp_path_factory.mktemp("inline-files-browser")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_files_package(Path(data) / "pkg"))
    admin = runtime.registry.ensure_user("admin@acme.test", PASSWORD)
    runtime.registry.add_membership("acme", admin, ["admin"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def _retitle_behind_the_page(live: LiveServer, ident: int, version: int) -> None:
    """Another user's save: the record moves on while its page is open."""
    services = Services(live.runtime)
    user = live.runtime.registry.ensure_user("admin@acme.test", PASSWORD)
    identity = live.runtime.registry.member_identity("acme", user)
    assert identity is not None
    call = services.call_as("acme", identity)
    entity = call.app.entities["folder"]
    assert services.records.update(call, entity, ident, {"title": "Moved"}, version).version


def _choose(page: Any, name: str, data: bytes) -> None:
    box = open_in_place(page, "photo")
    box.set_input_files({"name": name, "mimeType": "application/octet-stream", "buffer": data})
    page.locator("#inline-s-photo").get_by_role("button", name="Upload", exact=True).click()


def test_a_file_field_is_edited_in_place(page: Any, live: LiveServer) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", PASSWORD)
    ident = creator(live.runtime, "acme", admin)("folder", title="Photos")["id"]
    sign_in_browser(page)
    page.goto(f"/t/acme/e/folder/{ident}")

    _choose(page, "front.png", PNG)
    page.locator("#inline-s-photo a", has_text="front.png").wait_for()
    assert page.locator("#record-version").get_attribute("value") == "2"
    card = page.locator("section[data-file-field='photo'] a[data-file-id]")
    card.wait_for()  # the files card redrew after the save
    assert card.inner_text() == "front.png"

    _choose(page, "tool.png", ELF)  # refused format: 415 in place
    error = page.locator("#inline-s-photo .field-error")
    error.wait_for()
    assert "not accepted" in error.inner_text()
    page.locator("#inline-s-photo [data-inline-cancel]").click()
    page.locator("#inline-s-photo button.inline-value").wait_for()

    _choose(page, "huge.png", PNG + bytes(1024 * 1024))  # over the field's 1 MiB: 413
    error.wait_for()
    assert "larger than 1 MiB" in error.inner_text()
    page.keyboard.press("Escape")
    page.locator("#inline-s-photo button.inline-value").wait_for()

    _retitle_behind_the_page(live, ident, 2)
    _choose(page, "back.png", PNG)  # the page was drawn at version 2: a conflict
    conflict = page.locator("#inline-s-photo .conflict")
    conflict.wait_for()
    assert conflict.locator("[data-theirs]").inner_text() == "front.png"
    assert conflict.locator("[data-yours]").inner_text() == "back.png"

    page.locator("#inline-s-photo").get_by_role("button", name="Remove front.png").click()
    page.locator("#inline-s-photo button.inline-value", has_text="—").wait_for()
    assert page.locator("#record-version").get_attribute("value") == "4"
    assert page.errors == []
