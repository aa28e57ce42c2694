"""The public form designer in Chromium, keyboard only: relabel a field and move it
first, save, publish, and the public form shows it so."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser

WAIT = 60_000  # ms: a busy machine answers htmx slowly


def test_relabel_and_move_a_field_publish_and_see_it_on_the_public_form(
    page: Any, live: LiveServer
) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities")
    page.get_by_role("link", name="Public forms", exact=True).first.click()
    page.wait_for_url("**/admin/public-forms")
    page.locator("#form-web-to-lead a").first.click()
    page.wait_for_url("**/admin/public-forms/web-to-lead")

    row = page.locator("#form-field-company")
    label = row.locator("input[name$='_label_en']")
    label.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("Organisation")
    row.locator("input[name$='_position']").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    page.locator("#form-save").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Public form saved in the draft.").wait_for(timeout=WAIT)

    page.get_by_role("link", name="Publish", exact=True).click()
    page.locator("#ddl").wait_for(timeout=WAIT)  # the plan arrives through htmx
    page.get_by_label("Comment (what changes and why)").fill("Web form")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_url("**/admin/versions")

    page.goto("/p/acme/forms/web-to-lead")
    labels = page.locator("form label").all_inner_texts()
    assert labels and labels[0].startswith("Organisation"), labels
