"""Delete a record, restore it from the recycle bin, and read its history, in Chromium."""

from __future__ import annotations

import re
from typing import Any

from browser_support import sign_in_browser

DETAIL = re.compile(r".*/t/acme/e/account/\d+$")


def test_delete_restore_from_the_bin_then_history(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/account/new")
    page.get_by_label("Name").fill("Phoenix Holdings")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#more-menu summary").click()  # Delete and History are under "More"
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r".*/t/acme/e/account$"))
    page.get_by_role("link", name="Recycle bin").click()
    page.wait_for_url(re.compile(r".*/t/acme/e/account/deleted$"))
    page.get_by_role("button", name="Restore Phoenix Holdings").click()
    page.wait_for_url(DETAIL)
    assert "Account restored." in page.locator(".flash").inner_text()
    page.locator("#more-menu summary").click()
    page.get_by_role("link", name="History").click()
    page.wait_for_url(re.compile(r".*/history$"))
    text = page.locator("main").inner_text()
    assert "restore" in text and "Phoenix Holdings" in text
    assert page.errors == []
