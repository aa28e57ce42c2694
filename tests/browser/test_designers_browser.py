"""The designers in Chromium: add a field, see it in the plan, publish, use it, roll back."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser


def _tab_to(page: Any, target: Any, presses: int = 60) -> None:
    """Press Tab until ``target`` has the focus (the keyboard path a user takes)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError("Tab never reached the element")


def test_add_a_field_plan_publish_see_it_on_the_form_and_roll_back(
    page: Any, live: LiveServer
) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities/contact")
    add = page.get_by_role("link", name="Add a field")
    _tab_to(page, add)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/entities/contact/new-field")

    # The keyboard alone fills the form; the preview follows as one types.
    _tab_to(page, page.locator("#f-name"))
    page.keyboard.type("loyalty_code")
    page.keyboard.press("Tab")  # the type select: string stays
    _tab_to(page, page.locator("#f-label-en"))
    page.keyboard.type("Loyalty code")
    page.keyboard.press("Tab")
    page.keyboard.type("Código de fidelidad")
    page.locator("#field-preview label").filter(has_text="Loyalty code").wait_for()
    _tab_to(page, page.locator("#f-max_length"))
    page.keyboard.type("abc")
    _tab_to(page, page.get_by_role("button", name="Save in the draft"))
    page.keyboard.press("Enter")
    error = page.locator("#error-max_length")
    error.wait_for()
    assert "entities/contact.yaml:" in error.inner_text() and "max_length" in error.inner_text()
    assert page.locator("#f-label-es").input_value() == "Código de fidelidad"  # nothing lost
    page.locator("#f-max_length").fill("20")
    page.get_by_role("button", name="Save in the draft").click()
    page.wait_for_url("**/admin/entities/contact")
    assert page.get_by_text("Field loyalty_code saved in the draft.").is_visible()

    page.get_by_role("link", name="Publish", exact=True).click()
    ddl = page.locator("#ddl")
    ddl.wait_for()  # the plan arrives through htmx
    assert "loyalty_code" in ddl.inner_text()
    assert page.get_by_text("New field loyalty_code of contact").is_visible()
    page.get_by_label("Comment (what changes and why)").fill("Loyalty programme")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_url("**/admin/versions")
    assert page.get_by_text("Version 2 published.").is_visible()
    assert page.locator("#version-2").get_by_text("Loyalty programme").is_visible()

    page.goto("/t/acme/e/contact/new")
    assert page.get_by_label("Loyalty code").is_visible()

    page.goto("/t/acme/admin/versions")
    page.get_by_role("link", name="Roll back to version 1").click()
    assert page.locator("#archived").get_by_text("archives `loyalty_code` of contact").is_visible()
    page.get_by_role("button", name="Roll back").click()
    page.wait_for_url("**/admin/versions")
    assert page.get_by_text("Rolled back to version 1 as version 3.").is_visible()
    page.goto("/t/acme/e/contact/new")
    assert page.get_by_label("Loyalty code").count() == 0
    assert page.errors == []  # no script error and no CSP refusal
