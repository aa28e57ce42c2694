"""Chromium: an entity still named elsewhere cannot be deleted; a type change shows its preview."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_activity_support import create


def test_delete_page_lists_what_names_the_entity_and_offers_no_form(
    page: Any, live: LiveServer
) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities/contact")
    page.get_by_role("link", name="Delete the entity").click()
    page.wait_for_url("**/admin/entities/contact/delete")
    places = page.locator("#dependant-list li")
    assert places.count() > 3
    listed = places.all_inner_texts()
    assert any(text.startswith("entities/") for text in listed), listed
    assert any(text.startswith("roles.yaml:") for text in listed), listed
    assert page.locator("#delete-entity-form").count() == 0
    assert page.errors == []


def test_changing_a_fields_type_shows_the_converted_values_live(
    page: Any, live: LiveServer
) -> None:
    for city in ("Lyon", "12"):
        create(
            live.runtime,
            "acme",
            "admin@acme.test",
            "contact",
            {"first_name": "Ana", "last_name": "Ruiz", "city": city},
        )
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities/contact/fields/city")
    assert page.locator("#conversion").count() == 0
    page.locator("#f-type").select_option("integer")  # htmx re-renders the editor
    page.locator("#conversion").wait_for()
    samples = page.locator("#conversion-samples").inner_text()
    assert "Lyon" in samples and "'Lyon' is not a whole number." in samples
    assert (
        "Values that do not convert to integer:" in page.locator("#conversion-failed").inner_text()
    )
    assert page.errors == []
