"""Sign in, create through the form with an inline error, search and filter a list."""

from __future__ import annotations

import re
from typing import Any

from browser_support import sign_in_browser

DETAIL = re.compile(r".*/t/acme/e/account/\d+$")


def test_sign_in_then_create_with_inline_error_and_fix(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/account/new")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#err-name")
    error.wait_for()
    assert "required" in error.inner_text().lower()
    assert page.url.endswith("/t/acme/e/account/new")  # swapped in place, not a new page
    page.get_by_label("Name").fill("Browser Industries")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    assert page.locator("h1").inner_text() == "Browser Industries"
    assert "Account created." in page.locator(".flash").inner_text()
    assert page.errors == []


def test_search_and_filter_a_list(page: Any, live: Any) -> None:
    sign_in_browser(page)
    for name in ("Alpha Retail", "Beta Tech", "Gamma Retail"):
        page.goto("/t/acme/e/account/new")
        page.get_by_label("Name").fill(name)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(DETAIL)
    page.goto("/t/acme/e/account")
    page.get_by_label("Quick search").fill("retail")
    page.wait_for_function(
        "() => !document.querySelector('#list-rows').innerText.includes('Beta Tech')"
    )
    rows = page.locator("#list-rows").inner_text()
    assert "Alpha Retail" in rows and "Gamma Retail" in rows
    page.get_by_label("Quick search").fill("")
    page.locator("#f-1").select_option("name")
    page.locator("#op-1").select_option("starts_with")
    page.locator("#v-1").fill("Beta")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_function(
        "() => !document.querySelector('#list-rows').innerText.includes('Alpha Retail')"
    )
    assert "Beta Tech" in page.locator("#list-rows").inner_text()
    assert page.errors == []


def test_phone_sized_window_has_a_menu_button_and_stacked_rows(browser: Any, live: Any) -> None:
    context = browser.new_context(base_url=live.url, viewport={"width": 390, "height": 844})
    tab = context.new_page()
    try:
        sign_in_browser(tab)
        tab.goto("/t/acme/e/account")
        nav = tab.locator("#sidenav")
        assert not nav.is_visible()
        tab.get_by_role("button", name="Menu").click()
        assert nav.is_visible()
        assert tab.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing forces horizontal scrolling
    finally:
        context.close()


def test_keyboard_skip_link_and_search_shortcut(page: Any) -> None:
    sign_in_browser(page)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Escape")
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-search"
