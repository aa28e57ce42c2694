"""``lines`` in a declared form layout, in Chromium: the table of lines inside its
section, two lines added (one with htmx's "Add line"), saved with the parent."""

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
from lines_layout_support import layout_package
from ui_support import add_user

DETAIL = re.compile(r".*/t/acme/e/invoice/\d+$")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tenant ``acme``: the invoice package with a declared form layout (SQLite)."""
    data = Path(tmp_path_factory.mktemp("lines-layout-browser"))
    runtime = Runtime(RuntimeConfig(data_dir=data / "data"))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", layout_package(data))
    add_user(runtime, "acme", "admin@acme.test", ["admin"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def test_two_lines_added_in_a_declared_layout_are_saved_with_the_invoice(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/invoice/new")
    section = page.locator("fieldset", has=page.locator("legend", has_text="What was sold"))
    table = section.locator('[data-lines="items"]')
    assert table.count() == 1  # the editor is inside its declared section
    page.get_by_label("Number").fill("L-200")
    rows = table.locator("tbody tr")
    rows.nth(0).get_by_label("Description").fill("Desk")
    rows.nth(0).get_by_label("Quantity").fill("2")
    rows.nth(0).get_by_label("Unit price").fill("100")
    section.get_by_role("button", name="Add line").click()
    rows.nth(1).wait_for()
    rows.nth(1).get_by_label("Description").fill("Chair")
    rows.nth(1).get_by_label("Quantity").fill("4")
    rows.nth(1).get_by_label("Unit price").fill("25")
    page.get_by_label("Discount").fill("10")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    shown = page.locator('[data-lines="items"] tbody tr')
    assert shown.count() == 2
    assert "Desk" in shown.nth(0).inner_text() and "Chair" in shown.nth(1).inner_text()
    assert page.locator("#total-subtotal").inner_text().startswith("300")
    assert page.errors == []
