"""The home page ("my work") in Chromium: panels, keyboard, phone width, no CSP refusals."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_records import creator


def test_home_panels_at_desktop_and_phone_width(page: Any, live: LiveServer) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    create = creator(live.runtime, "acme", admin)
    account = create("account", name="Home Corp")["id"]
    create("opportunity", name="Home deal", account=account, currency="EUR")
    create("activity", subject="Overdue call", due_at="2020-01-02T10:00:00Z")
    sign_in_browser(page)
    assert page.get_by_role("heading", name="My work").is_visible()
    deals = page.locator('section[data-kind="pipeline"]')
    assert deals.get_by_role("link", name="Home deal").is_visible()
    tasks = page.locator('section[data-kind="activities"]')
    assert tasks.get_by_text("Overdue", exact=True).is_visible()
    # Keyboard: Tab reaches the panel's links; Enter opens the record.
    link = tasks.get_by_role("link", name="Overdue call")
    for _ in range(40):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/t/acme/e/activity/*")
    page.go_back()
    deals.locator(".home-stages a").first.click()  # Prospecting: my deals in that stage
    page.wait_for_url("**/t/acme/e/opportunity?filter=*")
    assert page.get_by_role("link", name="Home deal").is_visible()
    page.go_back()
    page.set_viewport_size({"width": 390, "height": 844})
    assert deals.is_visible() and tasks.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    one, two = deals.bounding_box(), tasks.bounding_box()
    assert one is not None and two is not None and abs(one["x"] - two["x"]) < 2  # stacked
    assert page.errors == []  # no script error and no CSP refusal
