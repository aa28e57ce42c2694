"""The record page in Chromium: edit a field in place with the keyboard, then meet a conflict."""

from __future__ import annotations

from typing import Any

from trellis.platform.services import Services

from browser_support import LiveServer, open_in_place, sign_in_browser, wait_for_editor
from ui_records import creator


def _save_behind_the_page(live: LiveServer, ident: int, name: str, version: int) -> None:
    """Another user's save: the record moves on while the page is open."""
    services = Services(live.runtime)
    user = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    identity = live.runtime.registry.member_identity("acme", user)
    assert identity is not None
    call = services.call_as("acme", identity)
    result = services.records.update(
        call, call.app.entities["account"], ident, {"name": name}, version
    )
    assert result.version == version + 1


def test_inline_edit_with_the_keyboard_then_a_conflict_in_place(
    page: Any, live: LiveServer
) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    ident = creator(live.runtime, "acme", admin)("account", name="Keyboard Co")["id"]
    sign_in_browser(page)
    page.goto(f"/t/acme/e/account/{ident}")
    button = page.locator("#inline-s-name button.inline-value")
    button.focus()
    page.keyboard.press("Enter")
    box = page.locator("#inline-s-name-input")
    box.wait_for()
    wait_for_editor(page, "inline-s-name-input")
    page.keyboard.press("Control+A")
    page.keyboard.type("Keyboard Iberia")
    page.keyboard.press("Enter")
    page.locator("#inline-s-name button.inline-value").wait_for()
    assert "Keyboard Iberia" in page.locator("#inline-s-name").inner_text()
    assert page.locator("#record-version").get_attribute("value") == "2"
    assert page.evaluate("document.activeElement.closest('#inline-s-name') !== null")

    _save_behind_the_page(live, ident, "Someone Else SA", 2)
    page.keyboard.press("Enter")  # focus is back on the value: edit it again
    box.wait_for()
    wait_for_editor(page, "inline-s-name-input")
    page.keyboard.press("Control+A")
    page.keyboard.type("Mine SL")
    page.keyboard.press("Enter")
    conflict = page.locator("#inline-s-name .conflict")
    conflict.wait_for()
    assert conflict.locator("[data-theirs]").inner_text() == "Someone Else SA"
    assert conflict.locator("[data-yours]").inner_text() == "Mine SL"
    assert page.locator("#inline-s-name-input").input_value() == "Mine SL"
    page.keyboard.press("Escape")  # cancel: the saved value stays
    page.locator("#inline-s-name button.inline-value").wait_for()
    assert "Someone Else SA" in page.locator("#inline-s-name").inner_text()
    assert page.errors == []


def test_more_menu_opens_and_closes_with_the_keyboard(page: Any, live: LiveServer) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    ident = creator(live.runtime, "acme", admin)("account", name="Menu Co")["id"]
    sign_in_browser(page)
    page.goto(f"/t/acme/e/account/{ident}")
    page.locator("#more-menu summary").focus()
    page.keyboard.press("Enter")
    history = page.get_by_role("link", name="History")
    assert history.is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert not history.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    assert page.errors == []


def test_pick_a_reference_and_participants_in_place_with_the_keyboard(
    page: Any, live: LiveServer
) -> None:
    admin = live.runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    create = creator(live.runtime, "acme", admin)
    old = create("account", name="Picker Old")["id"]
    new = create("account", name="Picker Newco")["id"]
    create("contact", first_name="Pia", last_name="Pickerton", account=new)
    deal = create("opportunity", name="Picked deal", account=old, amount="10")["id"]
    sign_in_browser(page)
    page.goto(f"/t/acme/e/opportunity/{deal}")
    field = page.locator("#inline-s-account")
    assert field.get_by_role("link", name="Picker Old").is_visible()  # a link, and an edit button
    field.get_by_role("button", name="Edit Account: Picker Old").focus()
    page.keyboard.press("Enter")
    box = page.locator("#inline-s-account-input")
    box.wait_for()
    wait_for_editor(page, "inline-s-account-input")
    page.keyboard.press("Control+A")
    page.keyboard.type("Newco")
    option = page.locator("#inline-s-account-input-list [data-lookup-id]", has_text="Picker Newco")
    option.wait_for()
    option.focus()
    page.keyboard.press("Enter")  # chooses; focus returns to the box
    assert box.input_value() == "Picker Newco"
    page.keyboard.press("Enter")  # saves
    field.get_by_role("link", name="Picker Newco").wait_for()
    assert page.locator("#record-version").input_value() == "2"

    activity = create("activity", subject="Picked call", kind="call")["id"]
    page.goto(f"/t/acme/e/activity/{activity}")
    open_in_place(page, "participants").fill("Pickerton")
    chosen = page.locator("#inline-s-participants-input-list [data-lookup-id]").first
    chosen.click()
    chip = page.locator("#inline-s-participants-input-chips .chip")
    assert chip.count() == 1 and "Pickerton" in chip.inner_text()
    page.locator("#inline-s-participants").get_by_role("button", name="Save").click()
    page.locator("#inline-s-participants ul.chips a", has_text="Pickerton").wait_for()
    assert page.errors == []
