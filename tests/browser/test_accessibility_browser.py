"""axe-core in Chromium: no serious or critical violation on the main screens.

axe-core comes bundled in the ``axe-playwright-python`` dev dependency (no network at test
time). Its source is evaluated through the DevTools protocol (``page.evaluate``), which the
page's Content-Security-Policy does not govern: the production CSP stays as it is and a
``securitypolicyviolation`` listener proves the page itself broke none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from browser_support import LiveServer, open_in_place
from ui_records import creator
from ui_support import PASSWORD

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
}, true);
"""
#: Impacts that fail the test.
SERIOUS = {"serious", "critical"}


def axe_violations(tab: Any) -> list[str]:
    """Serious and critical axe-core violations on the current page, one line each."""
    if not tab.evaluate("typeof window.axe === 'object'"):
        tab.evaluate(AXE_SCRIPT)
    result = tab.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    found = []
    for rule in result:
        if rule["impact"] in SERIOUS:
            targets = [" ".join(map(str, node["target"])) for node in rule["nodes"]][:3]
            found.append(f"{rule['id']} ({rule['impact']}): {rule['help']} at {targets}")
    return found


@pytest.fixture(scope="module")
def screens(live: LiveServer) -> dict[str, str]:
    """The main screens' paths, over a few records created for them."""
    registry = live.runtime.registry
    admin = registry.ensure_user("admin@acme.test", PASSWORD)
    create = creator(live.runtime, "acme", admin)
    account = create("account", name="Axe Corp")["id"]
    deal = create("opportunity", name="Axe deal", account=account, amount="1500")["id"]
    return {
        "home": "/t/acme/",
        "list": "/t/acme/e/opportunity",
        "record": f"/t/acme/e/opportunity/{deal}",
        "form": "/t/acme/e/opportunity/new",
        "kanban": "/t/acme/e/opportunity/kanban",
        "dashboard": "/t/acme/dashboards/sales",
        "search": "/t/acme/search?q=Axe",
        "account": f"/t/acme/e/account/{account}",
        "empty list": "/t/acme/e/campaign",
        "settings": "/t/acme/account",
        "layout designer": "/t/acme/admin/entities/contact/layouts",
        "workflow designer": "/t/acme/admin/workflows/ticket_flow",
        "pipeline designer": "/t/acme/admin/pipelines",
    }


@pytest.fixture(scope="module", params=["en-light-desktop", "es-dark-phone"])
def tab(request: pytest.FixtureRequest, browser: Any, live: LiveServer) -> Iterator[Any]:
    """A signed-out tab: English light at desktop width, Spanish dark at phone width."""
    locale, scheme, size = request.param.split("-")
    viewport = {"width": 1280 if size == "desktop" else 390, "height": 860}
    context = browser.new_context(
        base_url=live.url, locale=locale, color_scheme=scheme, viewport=viewport
    )
    context.add_init_script(WATCH)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.lang = locale
    yield page
    context.close()


def _check(tab: Any, path: str) -> list[str]:
    tab.goto(path)
    tab.wait_for_load_state("load")
    found = [f"{path}: {line}" for line in axe_violations(tab)]
    found += [f"{path}: CSP {line}" for line in tab.evaluate("window.__violations")]
    return found


def test_sign_in_and_public_form_have_no_serious_violation(tab: Any) -> None:
    found = _check(tab, "/p/acme/forms/web-to-lead")
    found += _check(tab, "/t/acme/login")
    # A refused sign-in shows its error on the same screen.
    label = "Email" if tab.lang == "en" else "Correo electrónico"
    tab.get_by_label(label).fill("nobody@acme.test")
    tab.locator("input[type=password]").fill("wrong password")
    tab.locator("form button[type=submit]").click()
    tab.wait_for_load_state("load")
    found += [f"refused sign-in: {line}" for line in axe_violations(tab)]
    assert found == [] and tab.errors == []


def test_main_screens_have_no_serious_violation(tab: Any, screens: dict[str, str]) -> None:
    tab.goto("/t/acme/login")
    tab.locator("input[type=email]").fill("admin@acme.test")
    tab.locator("input[type=password]").fill(PASSWORD)
    tab.locator("form button[type=submit]").click()
    tab.wait_for_url("**/t/acme/")
    found: list[str] = []
    for path in screens.values():
        found += _check(tab, path)
    # The record page with a reference's picker open in place.
    tab.goto(screens["record"])
    open_in_place(tab, "account").fill("Axe")
    tab.locator("#inline-s-account-input-list [data-lookup-id]").first.wait_for()
    found += [f"open picker: {line}" for line in axe_violations(tab)]
    # A refused form: the error summary and messages beside the fields.
    tab.goto(screens["form"])
    tab.locator("main form button.primary[type=submit]").click()
    tab.locator("#error-summary").wait_for()
    found += [f"refused form: {line}" for line in axe_violations(tab)]
    assert found == [] and tab.errors == []
