"""Icons from the static sprite, empty states with a next step, and the density toggle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser_support import LiveServer, sign_in_browser

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
}, true);
"""


@pytest.fixture(scope="module")
def tab(browser: Any, live: LiveServer) -> Iterator[Any]:
    """One signed-in admin tab shared by the module's tests."""
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 860})
    context.add_init_script(WATCH)
    page = context.new_page()
    sign_in_browser(page)
    yield page
    context.close()


def test_icons_are_drawn_from_the_sprite_without_csp_reports(tab: Any) -> None:
    tab.goto("/t/acme/e/account")
    nav = tab.locator("#sidenav a")
    assert nav.count() > 3
    for i in range(nav.count()):
        href = nav.nth(i).locator("svg.icon use").get_attribute("href")
        assert href is not None and href.startswith("/static/icons.svg#")
    accounts = tab.locator("#sidenav a[href='/t/acme/e/account'] svg.icon use")
    assert accounts.get_attribute("href") == "/static/icons.svg#building"  # declared icon:
    # The symbol is really drawn: its path has a size inside the <use>.
    box = tab.locator("#sidenav a[href='/t/acme/'] svg.icon").bounding_box()
    assert box is not None and box["width"] == 18
    drawn = tab.evaluate(
        "() => fetch('/static/icons.svg').then(r => r.text()).then(t => t.includes('id=\"home\"'))"
    )
    assert drawn
    assert tab.evaluate("window.__violations") == []


def test_empty_states_say_what_to_do_next(tab: Any) -> None:
    tab.goto("/t/acme/e/campaign")
    empty = tab.locator("#list-empty")
    assert "No campaigns yet." in empty.inner_text()
    empty.get_by_role("link", name="Create the first one").click()
    tab.wait_for_url("**/t/acme/e/campaign/new")
    tab.goto("/t/acme/e/account?q=zzqq-nothing")
    empty = tab.locator("#list-empty")
    assert "Nothing matches this search or filter." in empty.inner_text()
    empty.get_by_role("link", name="Clear the search and filters").click()
    tab.wait_for_url("**/t/acme/e/account")
    tab.goto("/t/acme/search?q=zzqq-nothing")
    assert "Check the spelling" in tab.locator("#search-empty").inner_text()
    assert tab.evaluate("window.__violations") == []


def test_density_toggle_is_kept_for_the_member(tab: Any) -> None:
    tab.goto("/t/acme/e/account?q=zzqq")
    html = tab.locator("body")
    assert html.get_attribute("data-density") == "comfortable"
    cell = tab.locator("#list-rows td").first
    roomy = cell.evaluate("el => getComputedStyle(el).paddingTop")
    tab.get_by_role("button", name="Compact rows").click()
    tab.wait_for_url("**/t/acme/e/account?q=zzqq")  # back on the same list, same search
    assert html.get_attribute("data-density") == "compact"
    assert cell.evaluate("el => getComputedStyle(el).paddingTop") != roomy
    assert "Your list density is saved." in tab.locator(".flash").inner_text()
    tab.goto("/t/acme/e/contact")  # another list, later: still compact
    assert html.get_attribute("data-density") == "compact"
    tab.get_by_role("button", name="Comfortable rows").click()
    tab.wait_for_url("**/t/acme/e/contact")
    assert html.get_attribute("data-density") == "comfortable"
