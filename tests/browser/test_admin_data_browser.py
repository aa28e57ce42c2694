"""Admin data pages: "Back up now" queues a backup; the retention report renders."""

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


def test_retention_report_renders_for_an_app_without_rules(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/retention")
    assert page.get_by_role("heading", name="Retention report").is_visible()
    assert page.locator("#retention-none").is_visible()
    assert page.errors == []
