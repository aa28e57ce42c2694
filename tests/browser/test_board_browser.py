"""Kanban drag and drop, workflow buttons, the stage bar, saved views and global search."""

from __future__ import annotations

from typing import Any

from browser_support import LiveServer, sign_in_browser
from ui_records import creator


def _admin_creator(live: LiveServer) -> Any:
    registry = live.runtime.registry
    admin = registry.ensure_user("admin@acme.test", "correct horse battery")
    return creator(live.runtime, "acme", admin)


def test_drag_a_card_to_another_stage_and_a_refused_move_snaps_back(
    page: Any, live: LiveServer
) -> None:
    create = _admin_creator(live)
    account = create("account", name="Board Corp")["id"]
    deal = create("opportunity", name="Dragged deal", account=account, amount="1200")
    card = f"#card-{deal['id']}"
    sign_in_browser(page)
    page.goto("/t/acme/e/opportunity/kanban?q=dragged")
    page.drag_and_drop(card, '[data-stage-drop="proposal"]')
    page.locator("#kanban-message").wait_for()
    assert "Moved to Proposal." in page.locator("#kanban-message").inner_text()
    assert page.locator(f'[data-stage-drop="proposal"] {card}').count() == 1

    page.drag_and_drop(card, '[data-stage-drop="won"]')
    dialog = page.locator("dialog#ask-dialog[open]")  # the move asks for the close date
    dialog.wait_for()
    assert "Set the close date" in dialog.inner_text()
    assert page.locator(f'[data-stage-drop="proposal"] {card}').count() == 1  # snapped back
    dialog.get_by_role("button", name="Cancel").click()
    assert page.locator("dialog#ask-dialog[open]").count() == 0

    page.get_by_label("Move to", exact=True).select_option("negotiation")
    page.locator(f"{card} button", has_text="Move").click()
    page.wait_for_function(
        '() => document.querySelector(\'[data-stage-drop="negotiation"] #card-'
        + str(deal["id"])
        + "') !== null"
    )
    assert "Moved to Negotiation." in page.locator("#kanban-message").inner_text()
    assert page.errors == []


def test_workflow_buttons_and_stage_bar_on_the_detail_page(page: Any, live: LiveServer) -> None:
    create = _admin_creator(live)
    ticket = create("ticket", subject="Browser ticket")
    account = create("account", name="Stage Corp")["id"]
    deal = create("opportunity", name="Staged deal", account=account)
    sign_in_browser(page)
    page.goto(f"/t/acme/e/ticket/{ticket['id']}")
    page.get_by_role("button", name="Open", exact=True).click()
    page.locator(".flash").wait_for()
    assert "Open: done." in page.locator(".flash").inner_text()
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.locator("dialog#ask-dialog[open]").wait_for()  # it asks for the resolution
    assert "Write the resolution" in page.locator("dialog#ask-dialog").inner_text()
    assert page.locator("main > .flash").count() == 0  # the earlier flash is gone

    page.goto(f"/t/acme/e/opportunity/{deal['id']}")
    page.get_by_role("button", name="Move to Qualification").click()
    page.locator(".flash").wait_for()
    assert "Moved to Qualification." in page.locator(".flash").inner_text()
    assert page.locator('[aria-current="step"]').inner_text() == "Qualification"
    assert page.errors == []


def test_save_a_view_and_search_everything(page: Any, live: LiveServer) -> None:
    create = _admin_creator(live)
    create("account", name="Quasar Labs")
    sign_in_browser(page)
    page.goto("/t/acme/e/account")
    page.get_by_label("Quick search").fill("quasar")
    page.wait_for_function(
        "() => document.querySelector('#list-rows').innerText.includes('Quasar Labs')"
    )
    page.locator("#views-menu > summary").click()
    page.get_by_label("Save the current list as").fill("Quasars")
    page.get_by_role("button", name="Save view").click()
    page.locator("#views-message").wait_for()
    link = page.get_by_role("link", name="Quasars")
    # The view's query, then which view it is (so the list shows it as the open one).
    assert link.get_attribute("href") == "/t/acme/e/account?q=quasar&view=1"

    page.get_by_label("Search everything").fill("quasar")
    page.get_by_label("Search everything").press("Enter")
    page.wait_for_url("**/t/acme/search?q=quasar")
    assert "Quasar Labs" in page.locator("#search-results").inner_text()
    assert page.errors == []
