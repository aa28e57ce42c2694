"""Upload a file through the edit form in Chromium, then find and download it (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from browser_support import LiveServer, sign_in_browser
from files_support import PDF, write_files_package

DETAIL = re.compile(r".*/t/acme/e/folder/\d+$")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tenant ``acme`` with file fields (SQLite, local file store) on a free port."""
    data = tmp_path_factory.mktemp("files-browser")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_files_package(Path(data) / "pkg"))
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    runtime.registry.add_membership("acme", admin, ["admin"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def test_upload_through_the_form_then_download_from_the_detail_screen(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/folder/new")
    assert "Save the folder first" in page.locator("#files-after-save").inner_text()
    page.get_by_label("Title").fill("Contracts 2026")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    page.goto(page.url + "/edit")
    section = page.locator("section[data-file-field='contract']")
    section.get_by_label("Add a file").set_input_files(
        {"name": "../contrato firmado.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    section.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(DETAIL)
    assert "file uploaded" in page.locator(".flash").inner_text()
    link = page.locator("section[data-file-field='contract'] a[data-file-id]")
    assert link.inner_text() == "contrato firmado.pdf"
    download = page.request.get(link.get_attribute("href"))
    assert download.status == 200 and download.body() == PDF
    assert download.headers["content-disposition"].startswith("inline;")
    assert download.headers["x-content-type-options"] == "nosniff"
    section = page.locator("section[data-file-field='contract']")
    section.get_by_label("Upload a new version").set_input_files(
        {"name": "v2.exe.pdf", "mimeType": "application/pdf", "buffer": b"MZ" + bytes(64)}
    )
    section.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_function("() => document.querySelector('.flash')?.innerText.includes('not')")
    assert "not accepted" in page.locator(".flash").inner_text()
    assert page.errors == []
