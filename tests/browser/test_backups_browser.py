"""The admin backups page: "Back up now" queues a backup and says so."""

from __future__ import annotations

from typing import Any

from browser_support import sign_in_browser


def test_back_up_now_button_starts_a_backup(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/backups")
    page.get_by_role("button", name="Back up now", exact=True).click()
    page.wait_for_url("**/t/acme/admin/backups")
    page.get_by_text("Backup started", exact=False).wait_for()
    assert page.get_by_role("heading", name="Backups").is_visible()
    assert page.errors == []
