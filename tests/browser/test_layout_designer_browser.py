"""The layout designer in Chromium: move a field with the keyboard and by drag and drop."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser

LAYOUTS = "/t/acme/admin/entities/contact/layouts"


def _tab_to(page: Any, target: Any, presses: int = 120) -> None:
    """Press Tab until ``target`` has the focus (the keyboard path a user takes)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError("Tab never reached the element")


def _section_fields(page: Any, section: int) -> list[str]:
    items = page.locator(f"#form-section-{section} li.layout-field")
    return [str(n) for n in items.evaluate_all("els => els.map(e => e.dataset.field)")]


def test_move_a_field_in_the_layout_designer_publish_and_see_it_on_the_form(
    page: Any, live: LiveServer
) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities/contact")
    page.get_by_role("link", name="Layouts", exact=True).click()
    page.wait_for_url(f"**{LAYOUTS}")
    assert _section_fields(page, 0)[:2] == ["first_name", "last_name"]

    # The keyboard alternative: Tab to the field's "down" button and press Enter.
    form = page.locator("#screen-form")
    down = form.get_by_role("button", name="Move First name down", exact=True)
    _tab_to(page, down)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Layout saved in the draft.").is_visible()
    assert _section_fields(page, 0)[:2] == ["last_name", "first_name"]
    # The focus is back on the button: Enter again moves it on, "up" brings it back.
    focused = "() => document.activeElement?.getAttribute('aria-label')"
    assert page.evaluate(focused) == "Move First name down"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _section_fields(page, 0)[:3] == ["last_name", "title", "first_name"]
    page.keyboard.press("Shift+Tab")  # from "down" back to "up"
    assert page.evaluate(focused) == "Move First name up"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate(focused) == "Move First name up"
    assert _section_fields(page, 0)[:3] == ["last_name", "first_name", "title"]

    # Drag and drop: the title field onto the first field of the second section.
    # Both ends on screen: a scroll between press and move would start the drag elsewhere.
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.goto(LAYOUTS)
    source = page.locator("#form-section-0 li[data-field=title]")
    target = page.locator("#form-section-1 li.layout-field").first
    with page.expect_navigation():
        source.drag_to(target, target_position={"x": 5, "y": 2})
    page.wait_for_function(
        "() => document.querySelector('#form-section-1 li.layout-field')?.dataset.field === 'title'"
    )
    assert "title" not in _section_fields(page, 0)

    page.get_by_role("link", name="Publish", exact=True).click()
    diff = page.locator("#metadata-diff")
    diff.wait_for()  # the plan arrives through htmx
    assert "Layouts changed: contact" in diff.inner_text()
    page.get_by_label("Comment (what changes and why)").fill("First name after last name")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_url("**/admin/versions")
    assert page.get_by_text("Version 2 published.").is_visible()

    page.goto("/t/acme/e/contact/new")
    fields = page.locator("form.record-form, form").filter(has=page.locator("[name=last_name]"))
    boxes = [fields.locator(f"[name={n}]").bounding_box() for n in ("last_name", "first_name")]
    assert boxes[0] is not None and boxes[1] is not None
    assert (boxes[0]["y"], boxes[0]["x"]) <= (boxes[1]["y"], boxes[1]["x"])
    order = page.locator("form [name]").evaluate_all("els => els.map(e => e.name)")
    assert order.index("last_name") < order.index("first_name") < order.index("title")
    assert order.index("mobile") > order.index("first_name")  # title joined the second section
    assert order.index("title") < order.index("email")
    assert page.errors == []  # no script error and no CSP refusal
