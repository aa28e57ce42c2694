"""``lines`` on screens in Chromium: the form's table of lines (add a row with htmx,
remove one), saved with the parent; the detail page's table and totals."""

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
from ui_support import add_user

PACKAGE = Path(__file__).resolve().parents[1] / "e2e" / "invoice_pkg"
DETAIL = re.compile(r".*/t/acme/e/invoice/\d+$")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tenant ``acme`` with the invoice package (SQLite), served on a free port."""
    data = tmp_path_factory.mktemp("lines-browser")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", PACKAGE)
    add_user(runtime, "acme", "admin@acme.test", ["admin"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def _fill(page: Any, row: int, description: str, quantity: str, price: str) -> None:
    cells = page.locator("#lines-items tr").nth(row)
    cells.get_by_label("Description").fill(description)
    cells.get_by_label("Quantity").fill(quantity)
    cells.get_by_label("Unit price").fill(price)


def test_add_lines_save_then_remove_one(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/invoice/new")
    page.get_by_label("Number").fill("F-100")
    _fill(page, 0, "Desk", "2", "100")
    page.get_by_role("button", name="Add line").click()
    page.locator("#lines-items tr").nth(1).wait_for()
    _fill(page, 1, "Chair", "-1", "25")
    page.get_by_role("button", name="Save").click()
    page.locator(".field-error", has_text="The quantity cannot be negative.").wait_for()
    _fill(page, 1, "Chair", "4", "25")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    rows = page.locator('[data-lines="items"] tbody tr')
    assert rows.count() == 2
    assert "Chair" in rows.nth(1).inner_text()
    assert page.locator("#total-subtotal").inner_text().startswith("300")

    page.goto(page.url + "/edit")
    page.locator("#lines-items tr").nth(0).get_by_label("Remove").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    assert page.locator('[data-lines="items"] tbody tr').count() == 1
    assert page.locator("#total-subtotal").inner_text().startswith("100")
    assert page.errors == []
