"""The roles designer in Chromium: change a permission in the matrix, then use it as that user."""

from __future__ import annotations

from typing import Any

from test_accessibility_browser import axe_violations

from browser_support import LiveServer, sign_in_browser

MINUTE = 60_000


def _as_rep(page: Any) -> None:
    page.context.clear_cookies()
    sign_in_browser(page, "rep@acme.test")


def test_grant_read_in_the_matrix_and_the_rep_sees_the_entity(page: Any, live: LiveServer) -> None:
    _as_rep(page)
    assert page.goto("/t/acme/e/campaign").status == 403
    assert page.get_by_role("link", name="Campaigns", exact=True).count() == 0

    page.context.clear_cookies()
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities")
    page.get_by_role("link", name="Roles", exact=True).click()
    page.wait_for_url("**/admin/roles")
    assert page.locator("#entity-campaign").get_by_text("—").count() >= 1
    page.get_by_role("link", name="Sales rep", exact=True).click()
    page.wait_for_url("**/admin/roles/sales_rep")

    # The keyboard alone: focus the cell's checkbox, tick it with Space, choose the
    # records with the arrow keys, then press the save button with Enter.
    read = page.get_by_label("Read Campaign", exact=True)
    read.focus()
    page.keyboard.press("Space")
    assert read.is_checked()
    records = page.get_by_label("Records of Campaign", exact=True)
    records.focus()
    page.keyboard.press("ArrowDown")  # all -> team
    page.wait_for_function("() => document.getElementById('s-campaign').value === 'team'")
    save = page.get_by_role("button", name="Save and publish the role", exact=True)
    save.focus()
    page.keyboard.press("Enter")
    page.get_by_text("Role sales_rep saved and in effect").wait_for(timeout=MINUTE)
    assert page.get_by_label("Read Campaign", exact=True).is_checked()
    assert page.get_by_label("Records of Campaign", exact=True).input_value() == "team"

    page.get_by_role("link", name="View as this role", exact=True).click()
    page.wait_for_url("**/admin/roles/sales_rep/preview")
    assert page.locator("#preview-campaign").get_by_text("Team's records").is_visible()

    _as_rep(page)
    assert page.goto("/t/acme/e/campaign").status == 200
    assert page.get_by_role("link", name="Campaigns", exact=True).count() >= 1
    assert page.errors == []  # no script error and no CSP refusal


def test_the_roles_pages_have_no_serious_accessibility_violation(
    page: Any, live: LiveServer
) -> None:
    sign_in_browser(page)
    found: list[str] = []
    for path in (
        "/t/acme/admin/roles",
        "/t/acme/admin/roles/support_agent",
        "/t/acme/admin/roles/support_agent/preview",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
        found += [f"{path}: {line}" for line in axe_violations(page)]
    assert found == [] and page.errors == []


def test_rename_a_role_and_its_member_keeps_the_access(page: Any, live: LiveServer) -> None:
    # The last test of the module: the rest uses the role under its old name.
    _as_rep(page)
    assert page.goto("/t/acme/e/opportunity").status == 200
    page.context.clear_cookies()
    sign_in_browser(page)
    page.goto("/t/acme/admin/roles/sales_rep")
    name = page.get_by_label("New name (lowercase letters, digits, _ and -)", exact=False)
    name.fill("field_rep")
    name.press("Enter")
    page.get_by_text("Role sales_rep renamed to field_rep").wait_for(timeout=MINUTE)
    page.wait_for_url("**/admin/roles/field_rep")
    page.goto("/t/acme/admin/roles")
    assert page.locator("#role-field_rep").is_visible()
    assert page.locator("#role-sales_rep").count() == 0

    _as_rep(page)
    assert page.goto("/t/acme/e/opportunity").status == 200
    assert page.errors == []
