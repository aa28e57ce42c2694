"""Issue 18's rough edges in Chromium: defaults, focus, tabs, asking dialogs, phone width, CSP."""

from __future__ import annotations

import re
from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_records import creator

DETAIL = re.compile(r".*/t/acme/e/\w+/\d+$")


def _create(live: LiveServer) -> Any:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    return creator(live.runtime, "acme", admin)


def _csp(page: Any) -> list[str]:
    """Console messages about the Content-Security-Policy (there must be none)."""
    return [m for m in page.errors if "Content Security Policy" in m or "Content-Security" in m]


def _watch_console(page: Any) -> None:
    page.all_console = []
    page.on("console", lambda msg: page.all_console.append(msg.text))


def test_new_form_defaults_focus_summary_layout_and_lookups(page: Any, live: LiveServer) -> None:
    _create(live)("account", name="Lookup Corp")
    _watch_console(page)
    sign_in_browser(page)
    page.goto("/t/acme/e/opportunity/new")
    assert page.locator("#fld-stage").input_value() == "prospecting"
    assert page.locator("#fld-currency").input_value() == "EUR"
    assert page.locator("#fld-name").get_attribute("aria-required") == "true"
    assert page.evaluate("document.getElementById('fld-name').required") is True

    page.locator("#lookup-account").fill("Lookup")
    page.locator("[data-lookup-id]").first.click()
    page.locator("#fld-description").fill("A long description\n\n\n\nof the deal")
    page.get_by_role("button", name="Save").click()
    page.locator("#error-summary").wait_for()
    # Focus moves once htmx has settled the swapped form (a moment after it appears).
    page.wait_for_function("document.activeElement.id === 'error-summary'")
    assert page.locator("#error-summary a", has_text="Name").count() == 1
    # Inputs keep their own height beside an error or a textarea; a checkbox sits left.
    heights = page.evaluate(
        "['fld-name', 'fld-close_date', 'fld-amount', 'lookup-account']"
        ".map(id => document.getElementById(id).getBoundingClientRect().height)"
    )
    assert max(heights) < 48, heights

    page.locator("#fld-name").fill("Defaulted deal")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(DETAIL)
    assert "Prospecting" in page.locator("#value-stage").inner_text()
    assert "EUR" in page.locator("#value-currency").inner_text()
    assert _csp(page) == [] and not [m for m in page.all_console if "Security-Policy" in m]
    assert page.errors == []


def test_checkbox_sits_at_the_start_of_its_cell(page: Any) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/e/activity/new")
    box = page.locator("#fld-done").bounding_box()
    cell = page.locator('[data-field="done"]').bounding_box()
    assert box is not None and cell is not None
    assert box["x"] - cell["x"] < 8 and box["width"] < 30
    assert page.errors == []


def test_detail_tabs_work_with_mouse_and_keyboard(page: Any, live: LiveServer) -> None:
    create = _create(live)
    account = create("account", name="Tab Corp")["id"]
    deal = create("opportunity", name="Tabbed deal", account=account)["id"]
    sign_in_browser(page)
    page.goto(f"/t/acme/e/opportunity/{deal}")
    overview = page.get_by_role("tab", name="Overview")
    details = page.get_by_role("tab", name="Details")
    assert page.locator("#value-number").is_visible()
    assert not page.locator("#value-description").is_visible()
    details.click()
    assert page.locator("#value-description").is_visible()
    assert not page.locator("#value-number").is_visible()
    assert details.get_attribute("aria-selected") == "true"
    details.focus()
    page.keyboard.press("ArrowLeft")
    assert overview.get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.textContent") == "Overview"
    page.keyboard.press("End")
    assert details.get_attribute("aria-selected") == "true"
    assert page.errors == []


def test_resolve_asks_for_the_resolution_in_a_dialog(page: Any, live: LiveServer) -> None:
    ticket = _create(live)("ticket", subject="Dialog ticket")["id"]
    sign_in_browser(page)
    page.goto(f"/t/acme/e/ticket/{ticket}")
    page.get_by_role("button", name="Open", exact=True).click()
    page.locator(".flash").wait_for()
    page.get_by_role("button", name="Resolve", exact=True).click()
    dialog = page.locator("dialog#ask-dialog[open]")
    dialog.wait_for()
    assert page.locator("main > .flash").count() == 0
    assert page.evaluate("document.activeElement.id") == "ask-resolution"
    dialog.get_by_role("button", name="Save and continue").click()
    page.locator("#ask-err-resolution").wait_for()
    assert page.locator("dialog#ask-dialog[open]").count() == 1  # still asking, with the error
    page.locator("#ask-resolution").fill("Cleaned the rollers")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # keyboard-first: the primary button is next
    page.locator(".flash").wait_for()
    assert "Resolve: done." in page.locator(".flash").inner_text()
    assert "Cleaned the rollers" in page.locator("#value-resolution").inner_text()
    assert page.errors == []


def test_board_move_asks_and_totals_show_the_currency(page: Any, live: LiveServer) -> None:
    create = _create(live)
    account = create("account", name="Money Corp")["id"]
    deal = create("opportunity", name="Money deal", account=account, amount="1500")["id"]
    sign_in_browser(page)
    page.goto("/t/acme/e/opportunity/kanban?q=money")
    stats = page.locator('[data-stage-drop="won"] .kanban-total').inner_text()
    assert stats == "€0.00"
    assert "€1,500.00" in page.locator('[data-stage-drop="prospecting"] .kanban-total').inner_text()
    page.locator(f"#move-{deal}").select_option("won")
    page.locator(f"#card-{deal} button", has_text="Move").click()
    dialog = page.locator("dialog#ask-dialog[open]")
    dialog.wait_for()
    assert "Move to Won" in dialog.inner_text()
    page.locator("#ask-close_date").fill("2026-11-30")
    dialog.get_by_role("button", name="Save and continue").click()
    page.locator("#kanban-message").wait_for()
    assert page.locator(f'[data-stage-drop="won"] #card-{deal}').count() == 1
    assert page.errors == []


def test_filters_live_in_the_url_and_errors_point_into_the_users_text(
    page: Any, live: LiveServer
) -> None:
    create = _create(live)
    for name in ("Url Alpha", "Url Beta"):
        create("account", name=name)
    sign_in_browser(page)
    page.goto("/t/acme/e/account")
    operators = page.locator("#op-1 option").all_inner_texts()
    assert "equals" in operators and "eq" not in operators
    page.locator("#f-1").select_option("name")
    page.locator("#op-1").select_option("eq")
    page.locator("#v-1").fill("Url Beta")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r".*f=name&op=eq&v=Url\+Beta.*"))
    assert "part=" not in page.url
    assert "Url Alpha" not in page.locator("#list-rows").inner_text()
    page.goto("/t/acme/")
    page.go_back()
    page.wait_for_url(re.compile(r".*v=Url\+Beta.*"))
    assert page.locator("#v-1").input_value() == "Url Beta"

    page.goto("/t/acme/e/account?q=url")
    page.locator("summary", has_text="Expression").click()
    page.locator("#filter-expr").fill("nmae == 1")
    page.get_by_role("button", name="Apply filters").click()
    page.locator("#filter-error").wait_for()
    error = page.locator("#filter-error").inner_text()
    assert "nmae" in error and "line 1, column 1:" in error, error
    assert _csp(page) == [] and page.errors == []


def test_phone_width_search_and_bulk_bar(browser: Any, live: LiveServer) -> None:
    _create(live)("account", name="Phone Corp")
    context = browser.new_context(base_url=live.url, viewport={"width": 390, "height": 844})
    tab = context.new_page()
    try:
        sign_in_browser(tab)
        tab.goto("/t/acme/e/account")
        search = tab.locator("#global-search").bounding_box()
        assert search is not None and search["width"] > 300
        assert not tab.locator(".bulk-bar").is_visible()
        tab.locator("input[name=ids]").first.check()
        bar = tab.locator(".bulk-bar").bounding_box()
        table = tab.locator("table.records").bounding_box()
        assert bar is not None and table is not None
        assert bar["y"] + bar["height"] <= 844 + 1  # on screen, at the bottom
        assert bar["y"] >= table["y"]  # below the list's start, not above it
    finally:
        context.close()
