"""In a real Chromium: no CSP violation on any main screen, and saved script never runs.

Each tab records ``securitypolicyviolation`` events (an init script, installed before any
page script) and every console message; a violation on any screen fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from browser_support import LiveServer, sign_in_browser
from ui_records import creator

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
#: Runs before the page's own scripts; CSP does not apply to it.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || location.pathname) + ":" + event.lineNumber);
}, true);
"""
DETAIL = re.compile(r".*/t/acme/e/contact/\d+$")


class Watched:
    """A tab with its violations, console messages and dialogs collected."""

    def __init__(self, tab: Any) -> None:
        self.tab = tab
        self.console: list[str] = []
        self.dialogs: list[str] = []
        tab.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        tab.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))
        tab.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def violations(self) -> list[str]:
        """CSP violations of the current document, and CSP complaints in the console."""
        seen = list(self.tab.evaluate("window.__violations || []"))
        return seen + [m for m in self.console if "Content Security Policy" in m]

    def visit(self, url: str) -> list[str]:
        """Open ``url``; the violations of the page it left and of the new one so far."""
        before = self.violations()
        self.tab.goto(url)
        self.tab.wait_for_load_state("networkidle")
        return before + self.violations()


def _watch(browser: Any, live: LiveServer) -> tuple[Any, Watched]:
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 860})
    context.add_init_script(script=WATCH)
    return context, Watched(context.new_page())


@pytest.fixture
def watched(browser: Any, live: LiveServer) -> Iterator[Watched]:
    context, tab = _watch(browser, live)
    yield tab
    context.close()


def _records(live: LiveServer, name: str) -> dict[str, int]:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    create = creator(live.runtime, "acme", admin)
    account = create("account", name=name, website="https://example.com/")["id"]
    contact = create("contact", first_name=name, last_name="Contact", account=account)["id"]
    deal = create("opportunity", name=f"{name} deal", account=account, amount="900")["id"]
    create("activity", subject=f"{name} call", kind="call", due_at="2026-11-23T10:00:00Z")
    return {"account": account, "contact": contact, "opportunity": deal}


def test_no_csp_violation_on_any_main_screen(watched: Watched, live: LiveServer) -> None:
    ids = _records(live, "Violet")
    tab = watched.tab
    problems: dict[str, list[str]] = {"sign-in": watched.visit("/t/acme/login")}
    sign_in_browser(tab)
    for url in (
        "/t/acme/",
        "/t/acme/e/account",
        f"/t/acme/e/account/{ids['account']}",
        f"/t/acme/e/opportunity/{ids['opportunity']}",
        "/t/acme/e/opportunity/kanban",
        "/t/acme/dashboards",
        "/t/acme/dashboards/sales",
        "/t/acme/calendar?view=month&date=2026-11-10",
        "/t/acme/calendar?view=week&date=2026-11-23",
        "/t/acme/search?q=violet",
        "/t/acme/notifications",
        "/t/acme/account",
        "/t/acme/admin/jobs",
        "/t/acme/e/account/999999",
    ):
        problems[url] = watched.visit(url)

    # A list with a quick search and a filter applied (htmx swaps the results).
    problems["list"] = watched.visit("/t/acme/e/account")
    tab.get_by_label("Quick search").fill("viol")
    tab.wait_for_function("() => document.querySelector('#list-rows').innerText.includes('Violet')")
    tab.locator("#f-1").select_option("name")
    tab.locator("#op-1").select_option("starts_with")
    tab.locator("#v-1").fill("Vio")
    tab.get_by_role("button", name="Add condition").click()
    tab.get_by_role("button", name="Apply filters").click()
    tab.wait_for_load_state("networkidle")
    assert "Violet" in tab.locator("#list-rows").inner_text()
    problems["list filtered"] = watched.violations()

    # A form with a reference lookup typed into, an option chosen, conditional state asked.
    problems["new contact"] = watched.visit("/t/acme/e/contact/new")
    tab.get_by_label("First name").fill("Lookup")
    tab.get_by_label("Last name").fill("Typed")
    tab.locator("#lookup-account").fill("Viol")
    option = tab.locator("#lookup-list-account [data-lookup-id]").first
    option.wait_for()
    option.click()
    assert tab.locator("#lookup-account").input_value() == "Violet"
    tab.get_by_role("button", name="Save").click()
    tab.wait_for_url(DETAIL)
    tab.wait_for_load_state("networkidle")
    problems["lookup and save"] = watched.violations()

    # A refused save swaps inline errors into the form.
    problems["inline errors"] = watched.visit("/t/acme/e/opportunity/new")
    tab.get_by_role("button", name="Save").click()
    tab.locator(".field-error, [id^=err-]").first.wait_for()
    problems["inline errors"] += watched.violations()

    assert {url: found for url, found in problems.items() if found} == {}
    assert watched.dialogs == []
    # The watch itself works: markup with an inline style is reported.
    tab.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=color:red>x</p>')")
    tab.wait_for_function("() => window.__violations.length > 0")
    assert "style-src" in watched.violations()[0]


def test_saved_script_never_runs_in_the_browser(
    browser: Any, watched: Watched, live: LiveServer
) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    create = creator(live.runtime, "acme", admin)
    account = create("account", name=SCRIPT, website="https://x.io/?q='onmouseover=alert(1)//")
    contact = create("contact", first_name=IMG, last_name=SCRIPT, account=account["id"])
    deal = create("opportunity", name=IMG, account=account["id"], amount="10")
    create("activity", subject=SCRIPT, kind="call", due_at="2026-11-23T10:00:00Z")
    tab = watched.tab
    sign_in_browser(tab)
    urls = [
        "/t/acme/e/account",
        f"/t/acme/e/account/{account['id']}",
        f"/t/acme/e/account/{account['id']}/edit",
        f"/t/acme/e/contact/{contact['id']}",
        "/t/acme/e/contact",
        f"/t/acme/e/opportunity/{deal['id']}",
        "/t/acme/e/opportunity/kanban",
        "/t/acme/search?q=alert",
        "/t/acme/calendar?view=week&date=2026-11-23",
    ]
    for url in urls:
        assert watched.visit(url) == [], url
    tab.goto(f"/t/acme/e/account/{account['id']}")
    box = tab.get_by_label("Comment")
    box.fill(f"{IMG} {SCRIPT} @rep@acme.test")
    box.press("Control+Enter")
    tab.get_by_text("onerror=alert(1)", exact=False).first.wait_for()
    context, rep = _watch(browser, live)
    try:
        sign_in_browser(rep.tab, "rep@acme.test")
        assert rep.visit("/t/acme/notifications") == []
        assert rep.tab.get_by_text("mentioned you", exact=False).first.is_visible()
        assert rep.dialogs == []
    finally:
        context.close()
    tab.goto("/t/acme/e/contact/new")
    tab.locator("#lookup-account").fill("<script")
    tab.locator("#lookup-list-account [data-lookup-id]").first.wait_for()
    tab.locator("#lookup-list-account [data-lookup-id]").first.hover()
    assert tab.locator("h1").first.is_visible()
    assert watched.dialogs == []
    assert watched.violations() == []
    assert tab.evaluate("document.querySelectorAll('img[onerror], script:not([src])').length") == 0
