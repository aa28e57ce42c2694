"""The workflow designer in Chromium: a new state is flagged unreachable until a transition."""

from __future__ import annotations

import os
from typing import Any

from browser_support import LiveServer, sign_in_browser

FLOW = "/t/acme/admin/workflows/ticket_flow"
#: Unreachable boxes on the diagram (a function predicate: the CSP forbids eval).
FLAGGED = (
    "() => Array.from(document.querySelectorAll('#flow-diagram g.flow-state.unreachable'))"
    ".map(g => g.dataset.state)"
)


def test_a_new_state_is_flagged_until_a_transition_reaches_it(page: Any, live: LiveServer) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities")
    page.get_by_role("link", name="Workflows", exact=True).click()
    page.wait_for_url("**/admin/workflows")
    page.get_by_role("link", name="Ticket flow", exact=True).click()
    page.wait_for_url(f"**{FLOW}")
    assert page.locator("#flow-diagram g.flow-state").count() == 5
    assert page.evaluate(FLAGGED) == []

    page.get_by_text("Add a state", exact=True).click()
    page.get_by_label("Name (lowercase letters, digits and _)").first.fill("escalated")
    form = page.locator("#add-state")
    form.get_by_label("Label in English").fill("Escalated")
    form.get_by_label("Label in Spanish").fill("Escalada")
    with page.expect_navigation():
        form.get_by_role("button", name="Add the state", exact=True).click()
    assert page.get_by_text("Workflow saved in the draft.").is_visible()
    page.wait_for_function(f"() => ({FLAGGED})().includes('escalated')")
    box = page.locator("#flow-state-escalated")
    assert "unreachable" in (box.text_content() or "")
    warning = page.locator("#flow-unreachable")
    assert "Unreachable from the initial state: Escalated." in warning.inner_text()
    assert "Unreachable from the initial state" in page.locator("#state-escalated").inner_text()
    if os.environ.get("TRELLIS_SCREENSHOTS"):
        page.locator("#flow-diagram").screenshot(path=os.environ["TRELLIS_SCREENSHOTS"])

    # The keyboard way: open the "Add a transition" form and fill it in.
    page.get_by_text("Add a transition", exact=True).click()
    transition = page.locator("#add-transition")
    transition.get_by_label("Name (lowercase letters, digits and _)").fill("escalate")
    transition.get_by_label("Label in English").fill("Escalate")
    transition.get_by_label("Label in Spanish").fill("Escalar")
    transition.get_by_label("Open", exact=True).check()
    transition.get_by_label("To the state").select_option("escalated")
    with page.expect_navigation():
        transition.get_by_role("button", name="Add the transition", exact=True).click()
    page.wait_for_function(f"() => ({FLAGGED})().length === 0")
    assert page.locator("#flow-unreachable").count() == 0
    arrow = page.locator("#flow-diagram g[data-transition=escalate]")
    assert arrow.get_attribute("data-from") == "open"
    assert (arrow.text_content() or "").strip() == "Escalate"

    # Its own form moves it: it may start from Pending too, and says why it is refused.
    row = page.locator("#transition-escalate")
    row.get_by_text("States of Escalate, who may run it", exact=False).click()
    edit = page.locator("#tr-escalate-edit")
    edit.get_by_label("Pending", exact=True).check()
    edit.get_by_label("Message when the condition is not met, in English").fill("Not yet.")
    edit.get_by_label("Message when the condition is not met, in Spanish").fill("Aún no.")
    with page.expect_navigation():
        edit.get_by_role("button", name="Save the transition", exact=True).click()
    assert page.get_by_text("Workflow saved in the draft.").is_visible()
    sources = (
        "() => Array.from(document.querySelectorAll('#flow-diagram g[data-transition=escalate]'))"
        ".map(g => g.dataset.from).sort()"
    )
    assert page.evaluate(sources) == ["open", "pending"]
    assert "Message: Not yet." in page.locator("#transition-escalate").inner_text()
    assert page.errors == []  # no script error and no CSP refusal


def test_reorder_pipeline_stages_with_the_keyboard(page: Any, live: LiveServer) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/entities")
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.wait_for_url("**/admin/pipelines")
    order = (
        "() => Array.from(document.querySelectorAll('#pipeline-deal li'))"
        ".map(li => li.dataset.stage)"
    )
    assert page.evaluate(order)[:2] == ["prospecting", "qualification"]
    down = page.get_by_role("button", name="Move Prospecting down", exact=True)
    down.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Pipeline saved in the draft.").is_visible()
    assert page.evaluate(order)[:2] == ["qualification", "prospecting"]
    # The focus is back on the button pressed: Enter again moves the stage on.
    focused = "() => document.activeElement?.getAttribute('aria-label')"
    page.wait_for_function(f"() => ({focused})() === 'Move Prospecting down'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate(order)[:3] == ["qualification", "proposal", "prospecting"]
    assert page.errors == []
