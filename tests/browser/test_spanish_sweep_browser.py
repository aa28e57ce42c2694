"""A Spanish member's main screens in Chromium: no English UI word leaks.

A member whose setting is Spanish (the browser itself asks for English) signs in and
visits home, a list, a record, a form, a refused form, the kanban board, a dashboard,
search and their settings. On each, ``<html lang="es">`` and the visible text of the
top bar, the side navigation and the main region (with the labels of its controls:
``aria-label``, ``placeholder``, ``title``) holds none of the English words the
templates use.
"""

from __future__ import annotations

import re
from typing import Any

from trellis.platform.identity.preferences import UserPreferences

from browser_support import LiveServer, sign_in_browser
from ui_records import creator
from ui_support import add_user

EMAIL = "ana@acme.test"
#: English words of the templates' buttons, links, headings and hints (whole words).
ENGLISH = (
    "Save", "Cancel", "Search", "Edit", "New", "Delete", "Home", "Settings", "Create",
    "Filter", "Filters", "Export", "Import", "Columns", "Next", "Previous", "Back", "Owner",
    "Created", "Updated", "Actions", "Status", "Close", "Add", "Remove", "Apply", "Clear",
    "Sign out", "Menu", "Notifications", "Dashboards", "Calendar", "History", "Details",
    "Required", "Yes", "None", "Show", "Hide", "Loading", "Today", "Views", "Sort",
    "Account and security", "Toggle dark mode", "Skip to content", "My work", "Results",
    "Language", "Time zone", "records", "results", "the", "and", "with", "your", "this",
    "Change", "Password", "Email", "Open", "Rows", "Page", "Print", "Download", "read",
    "update", "purge", "default_source", "formula_source",
)  # fmt: skip
WORDS = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")
#: What the sweep reads: the top bar, the side navigation and the main region.
REGIONS = "header.topbar, nav#sidenav, main#main"
#: Boxes whose placeholder is an example in the rule language (its keywords are English).
CODE = "#filter-expr"
VISIBLE_TEXT = """([sel, CODE]) => {
  const parts = [];
  for (const region of document.querySelectorAll(sel)) {
    parts.push(region.innerText);
    for (const el of region.querySelectorAll('[aria-label], [placeholder], [title]')) {
      if (el.closest('[hidden]') || el.matches(CODE)) continue;
      for (const name of ['aria-label', 'placeholder', 'title']) {
        const value = el.getAttribute(name);
        if (value) parts.push(value);
      }
    }
  }
  return parts.join('\\n');
}"""


def _spanish_member(live: LiveServer) -> dict[str, int]:
    """Ana (admin, setting: Spanish) and a few records with Spanish data."""
    runtime = live.runtime
    user = add_user(runtime, "acme", EMAIL, ["admin"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(user, "es")
    create = creator(runtime, "acme", user)
    account = create("account", name="Ferretería Ruiz")["id"]
    deal = create("opportunity", name="Renovación anual", account=account, amount="2500")["id"]
    return {"account": account, "deal": deal}


def _leaks(tab: Any) -> list[str]:
    text = tab.evaluate(VISIBLE_TEXT, [REGIONS, CODE])
    return sorted({m.group(1) for m in WORDS.finditer(text.replace(EMAIL, ""))})


def test_spanish_member_sees_no_english_on_the_main_screens(page: Any, live: LiveServer) -> None:
    ids = _spanish_member(live)
    sign_in_browser(page, EMAIL)
    screens = {
        "home": "/t/acme/",
        "list": "/t/acme/e/account",
        "record": f"/t/acme/e/account/{ids['account']}",
        "form": "/t/acme/e/account/new",
        "kanban": "/t/acme/e/opportunity/kanban",
        "dashboard": "/t/acme/dashboards/sales",
        "search": "/t/acme/search?q=Ruiz",
        "settings": "/t/acme/account",
        "deal": f"/t/acme/e/opportunity/{ids['deal']}",
        "edit": f"/t/acme/e/opportunity/{ids['deal']}/edit",
        "history": f"/t/acme/e/opportunity/{ids['deal']}/history",
        "deleted": "/t/acme/e/account/deleted",
        "import": "/t/acme/e/account/_import",
        "calendar": "/t/acme/calendar",
        "dashboards": "/t/acme/dashboards",
        "notifications": "/t/acme/notifications",
        "jobs": "/t/acme/admin/jobs",
        "users": "/t/acme/admin/users",
        "designer": "/t/acme/admin/entities",
        "roles": "/t/acme/admin/roles",
        "publish": "/t/acme/admin/publish",
    }
    leaks: dict[str, list[str]] = {}
    for name, url in screens.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "es", name
        leaks[name] = _leaks(page)
    # Spanish that reads right: one record is singular, "open" agrees with any noun.
    page.goto("/t/acme/e/account")
    assert page.locator("p.count").inner_text() == "1 cuenta"
    page.goto("/t/acme/")
    assert page.get_by_role("heading", name="Mis oportunidades pendientes por etapa").is_visible()
    # A refused form: the required name is left empty.
    page.goto("/t/acme/e/account/new")
    page.locator("form button[type=submit]").last.click()
    page.locator(".field-error, [id^=err-]").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    leaks["refused form"] = _leaks(page)
    assert {name: found for name, found in leaks.items() if found} == {}
    assert page.errors == []
