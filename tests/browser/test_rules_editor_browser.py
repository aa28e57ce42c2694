"""The rules editor in Chromium: an error underlined with its suggestion, fixed, saved, planned."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_activity_support import create

WAIT = 60_000  # ms: a busy machine answers htmx slowly


def _focused(page: Any, element_id: str) -> None:
    page.wait_for_function(
        f"() => document.activeElement && document.activeElement.id === '{element_id}'",
        timeout=WAIT,
    )


def test_write_a_rule_with_an_error_fix_it_save_and_see_it_in_the_plan(
    page: Any, live: LiveServer
) -> None:
    person = create(
        live.runtime,
        "acme",
        "admin@acme.test",
        "contact",
        {"first_name": "Ana", "last_name": "Gil"},
    )
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities/contact")
    page.get_by_role("link", name="Rules", exact=True).click()
    page.wait_for_url("**/admin/entities/contact/rules")
    page.get_by_role("link", name="Add a validation", exact=True).click()
    page.wait_for_url("**/rules/validations/new")

    box = page.locator("#rule-source")
    box.focus()
    _focused(page, "rule-source")
    page.keyboard.type("emial is empty and phone is empty")
    mark = page.locator("mark.rule-error", has_text="emial")
    mark.wait_for(timeout=WAIT)  # the debounced check underlines the unknown field
    problem = page.locator("#rule-problem-1")
    assert "Line 1, column 1" in problem.inner_text()
    assert "Did you mean email?" in problem.inner_text()

    # Fix it with the keyboard: go to the start, delete the word, complete "em…".
    page.keyboard.press("Home")
    for _ in range(5):
        page.keyboard.press("Delete")
    page.keyboard.type("em")
    page.locator('#rule-words button[data-insert="email"]').wait_for(timeout=WAIT)
    page.keyboard.press("Alt+ArrowDown")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.dataset.insert === 'email'",
        timeout=WAIT,
    )
    page.keyboard.press("Enter")
    _focused(page, "rule-source")
    assert box.input_value() == "email is empty and phone is empty"
    page.locator("#rule-ok").wait_for(timeout=WAIT)
    assert page.locator("mark.rule-error").count() == 0

    # Try it on a stored record: the condition and the dry-run explanation of a save.
    page.get_by_label("Record number").fill(str(person["id"]))
    page.get_by_role("button", name="Try on record", exact=True).click()
    outcome = page.locator("#try-outcome")
    outcome.wait_for(timeout=WAIT)
    assert f"On record #{person['id']} this validation refuses the save." in outcome.inner_text()
    assert page.locator("#try-would-save").is_visible()

    page.get_by_label("English").fill("Give an email or a phone.")
    page.get_by_label("Spanish").fill("Indique un correo o un teléfono.")
    page.get_by_role("button", name="Save in the draft", exact=True).click()
    page.wait_for_url("**/admin/entities/contact/rules", timeout=WAIT)
    assert page.get_by_text("Rule saved in the draft.").is_visible()
    assert (
        page.locator("#validation-1").get_by_text("email is empty and phone is empty").is_visible()
    )

    page.get_by_role("link", name="Publish", exact=True).click()
    diff = page.locator("#metadata-diff")
    diff.wait_for(timeout=WAIT)  # the plan arrives through htmx
    changed = diff.locator("details", has_text="entities/contact.yaml")
    changed.locator("summary").click()
    assert "email is empty and phone is empty" in changed.locator("pre.diff").inner_text()
    assert page.errors == []  # no script error and no CSP refusal
