"""The e-mail template designer in Chromium, keyboard only: type a Spanish subject, see
the live preview about a record, save it in the draft and find it on the publish page."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_activity_support import create

WAIT = 60_000  # ms: a busy machine answers htmx slowly


def test_edit_a_subject_see_the_preview_and_save(page: Any, live: LiveServer) -> None:
    found = create(
        live.runtime,
        "acme",
        "admin@acme.test",
        "lead",
        {"first_name": "Ana", "last_name": "Gil", "company": "Gil SL"},
    )
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities")
    page.get_by_role("link", name="E-mail templates", exact=True).first.click()
    page.wait_for_url("**/admin/email-templates")
    page.get_by_label("Edit lead_auto_reply in Spanish").click()
    page.wait_for_url("**/admin/email-templates/lead_auto_reply?locale=es")
    assert page.locator("#mail-entity").input_value() == "lead"  # the rule's entity

    page.locator("#mail-record").focus()
    page.keyboard.type(str(found["id"]))
    page.locator("#mail-subject").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("Hola {{ first_name }} de {{ company }}")
    subject = page.locator("#mail-preview-subject", has_text="Hola Ana de Gil SL")
    subject.wait_for(timeout=WAIT)  # the debounced preview, rendered by the mailer
    assert "Hola, Ana:" in page.locator("#mail-preview-text").inner_text()

    page.locator("#mail-save").focus()
    page.keyboard.press("Enter")
    page.get_by_text("E-mail template saved in the draft.").wait_for(timeout=WAIT)
    assert page.locator("#mail-subject").input_value() == "Hola {{ first_name }} de {{ company }}"
    page.goto("/t/acme/admin/publish")
    page.get_by_text("email_templates/lead_auto_reply.es.j2").first.wait_for(timeout=WAIT)
