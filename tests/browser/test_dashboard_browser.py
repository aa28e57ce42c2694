"""Open a dashboard and walk the calendar in a real Chromium."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_records import creator


def _admin_creator(live: LiveServer) -> Any:
    registry = live.runtime.registry
    admin = registry.ensure_user("admin@acme.test", "correct horse battery")
    return creator(live.runtime, "acme", admin)


def test_open_a_dashboard(page: Any, live: LiveServer) -> None:
    create = _admin_creator(live)
    account = create("account", name="Dashboard Corp")["id"]
    create("opportunity", name="Charted deal", account=account, amount="1500")
    sign_in_browser(page)
    page.get_by_role("link", name="Dashboards").click()
    page.wait_for_url("**/t/acme/dashboards")
    page.get_by_role("link", name="Sales", exact=True).click()
    page.wait_for_url("**/t/acme/dashboards/sales")
    assert page.get_by_role("heading", name="Sales", level=1).is_visible()
    assert page.get_by_role("heading", name="Open pipeline").is_visible()
    chart = page.get_by_role("img", name="Deals by stage")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    bars = page.locator("#tile-4 rect")
    assert bars.count() == 6
    fill = bars.first.evaluate("el => getComputedStyle(el).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)")  # coloured by the stylesheet's class
    section = page.locator("section", has=page.get_by_role("heading", name="Deals by stage"))
    section.get_by_text("Data table").click()
    assert section.get_by_role("row", name="Prospecting").is_visible()
    page.set_viewport_size({"width": 390, "height": 800})
    assert chart.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    assert page.errors == []  # no script error and no CSP refusal


def test_walk_the_calendar(page: Any, live: LiveServer) -> None:
    create = _admin_creator(live)
    item = create("activity", subject="Browser call", kind="call", due_at="2026-11-23T10:00:00Z")
    sign_in_browser(page)
    page.goto("/t/acme/calendar?view=month&date=2026-11-10")
    assert page.get_by_role("heading", name="November 2026").is_visible()
    page.get_by_role("link", name="Next month").click()
    page.wait_for_url("**date=2026-12-01")
    assert page.get_by_role("heading", name="December 2026").is_visible()
    page.get_by_role("link", name="Previous month").click()
    page.wait_for_url("**date=2026-11-01")
    page.get_by_role("link", name="Week of Monday 23 November 2026").click()
    page.wait_for_url("**view=week&date=2026-11-23")
    assert page.get_by_role("heading", name="Week of 23 Nov 2026").is_visible()
    page.get_by_role("link", name="10:00 Browser call").click()
    page.wait_for_url(f"**/t/acme/e/activity/{item['id']}")
    assert page.errors == []
