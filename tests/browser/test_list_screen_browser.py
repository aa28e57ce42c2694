"""The list screen in Chromium: keyboard navigation, the column chooser, quick-create,
and the list's state (search, columns, view) in the address bar and through Back."""

from __future__ import annotations

import re
from typing import Any

from browser_support import sign_in_browser
from ui_records import creator

ACCOUNTS = "/t/acme/e/account"


def _accounts(live: Any, *names: str) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    make = creator(live.runtime, "acme", admin)
    for name in names:
        make("account", name=name)


def _header(page: Any) -> list[str]:
    texts: list[str] = page.locator("table.records thead th").all_inner_texts()
    return [t.strip(" ▲▼") for t in texts[1:]]


def test_keyboard_moves_opens_and_edits_rows(page: Any, live: Any) -> None:
    _accounts(live, "Kilo One", "Kilo Two", "Kilo Three")
    sign_in_browser(page)
    page.goto(f"{ACCOUNTS}?q=kilo&sort=name")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "quick-search"
    page.locator("h1").click()  # leave the search box
    page.keyboard.press("j")
    focused = page.locator("tr.row-focus")
    assert "Kilo One" in focused.inner_text()
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert "Kilo Two" in page.locator("tr.row-focus").inner_text()
    page.keyboard.press("k")
    assert "Kilo Three" in page.locator("tr.row-focus").inner_text()
    assert page.locator("tr.row-focus").count() == 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/t/acme/e/account/\d+$"))
    assert page.locator("h1").inner_text() == "Kilo Three"
    page.go_back()
    page.wait_for_url(re.compile(r".*q=kilo.*"))
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("e")
    page.wait_for_url(re.compile(r".*/t/acme/e/account/\d+/edit$"))
    assert page.get_by_label("Name").input_value() == "Kilo One"
    assert page.errors == []


def test_column_chooser_url_view_and_back(page: Any, live: Any) -> None:
    _accounts(live, "Chooser Alpha", "Chooser Beta")
    sign_in_browser(page)
    page.goto(f"{ACCOUNTS}?q=chooser")
    before = _header(page)
    assert before[:2] == ["Account name", "Industry"]
    page.locator("#column-chooser summary").click()
    page.locator("#col-industry").uncheck()
    page.get_by_role("button", name="Move Phone up").click()
    page.get_by_role("button", name="Move Phone up").click()  # now first
    page.get_by_role("button", name="Show these columns").click()
    page.wait_for_url(re.compile(r".*col=phone&col=name.*"))
    assert _header(page)[:2] == ["Phone", "Account name"] and "Industry" not in _header(page)
    assert "q=chooser" in page.url
    page.get_by_label("Quick search").fill("alpha")  # searching keeps the columns
    page.wait_for_url(re.compile(r".*q=alpha.*col=phone.*"))
    assert _header(page)[:2] == ["Phone", "Account name"]
    page.go_back()
    page.wait_for_url(re.compile(r".*q=chooser&col=phone.*"))
    page.go_back()
    page.wait_for_function("() => !location.search.includes('col=')")
    assert _header(page) == before

    page.locator("#views-menu summary").click()
    page.get_by_label("Save the current list as").fill("Chooser view")
    page.get_by_role("button", name="Save view").click()
    page.locator("#views-message").wait_for()
    page.get_by_role("link", name="Chooser view").click()
    page.wait_for_url(re.compile(r".*view=\d+$"))
    page.locator("#column-chooser summary").click()
    page.locator("#col-created_at").check()
    page.get_by_role("button", name="Save columns in this view").click()
    page.locator("#column-saved").wait_for()
    assert "Columns saved in the view" in page.locator("#column-saved").inner_text()
    page.goto(ACCOUNTS)
    page.locator("#views-menu summary").click()
    page.get_by_role("link", name="Chooser view").click()
    page.wait_for_url(re.compile(r".*col=created_at.*view=\d+$"))
    assert "Created" in " ".join(_header(page))
    assert page.errors == []


def test_quick_create_row_adds_a_record_and_keeps_values_on_error(page: Any, live: Any) -> None:
    _accounts(live, "Quickstep Ltd")
    sign_in_browser(page)
    page.goto("/t/acme/e/opportunity")
    total = page.locator('#list-totals [data-total="amount"]')  # loaded after the rows
    total.wait_for()
    assert "€" in total.inner_text()
    row = page.locator("#quick-create-row")
    row.get_by_label("Name").fill("")
    row.get_by_label("Search Account").fill("quickstep")
    page.locator('#qc-list-account [data-lookup-title="Quickstep Ltd"]').click()
    page.evaluate("document.getElementById('qc-name').required = false")  # let the server say
    row.get_by_role("button", name="Add", exact=True).click()
    page.locator("#qc-err-name").wait_for()
    assert page.locator("#qc-account").input_value() == "Quickstep Ltd"  # kept
    assert page.locator("#qc-name").get_attribute("aria-invalid") == "true"
    page.locator("#qc-name").fill("Typed in the row")
    page.locator("#quick-create-row").get_by_role("button", name="Add", exact=True).click()
    page.locator("#qc-done").wait_for(state="attached")
    added = page.locator("#quick-create-body tr[data-href]").first
    assert "Typed in the row" in added.inner_text() and "Quickstep Ltd" in added.inner_text()
    assert page.locator("#qc-name").input_value() == ""  # a fresh row for the next one
    page.reload()
    assert "Typed in the row" in page.locator("#list-rows").inner_text()
    assert page.errors == []
