"""The dashboards designer in Chromium, keyboard only: a tile with a live preview."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT

from browser_support import LiveServer, sign_in_browser


def _tab_to(page: Any, target: Any, presses: int = 80) -> None:
    """Press Tab until ``target`` has the focus (the keyboard path a user takes)."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError("Tab never reached the element")


def _serious(page: Any) -> list[str]:
    page.evaluate(AXE_SCRIPT)
    found = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [v["id"] for v in found if v["impact"] in ("serious", "critical")]


def test_add_a_tile_with_the_keyboard_and_see_its_preview(page: Any, live: LiveServer) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/dashboards/sales/tiles/1")  # its preview loads after the page
    page.locator("#preview-value").wait_for()
    assert page.locator("#preview-loading").count() == 0
    page.goto("/t/acme/admin/dashboards/sales")
    add = page.get_by_role("link", name="Add a tile")
    _tab_to(page, add)
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/dashboards/sales/tiles/new")
    _tab_to(page, page.locator("#t-label_en"))
    page.keyboard.type("Open deals count")
    page.keyboard.press("Tab")
    page.keyboard.type("Oportunidades abiertas")
    _tab_to(page, page.locator("#t-entity"))
    page.keyboard.type("opportunity")
    _tab_to(page, page.locator("#t-where"))
    page.keyboard.type("not stage.won and amout > 0")
    mark = page.locator("#tile-preview mark.rule-error")
    mark.wait_for()
    assert mark.inner_text() == "amout"
    page.keyboard.press("Control+a")
    page.keyboard.type("not stage.won")
    page.locator("#preview-value").wait_for()
    assert page.locator("#tile-preview mark.rule-error").count() == 0
    assert _serious(page) == []
    _tab_to(page, page.get_by_role("button", name="Save in the draft"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/dashboards/sales")
    assert page.get_by_text("Tile saved in the draft.").is_visible()
    assert page.locator("#tiles").get_by_text("Open deals count").is_visible()
    assert _serious(page) == []
