"""The heart of the CRM scenario in Chromium, in Spanish (issue 15, "a shorter version
runs in Chromium"): a sales rep whose language is Spanish signs in, creates a lead,
works, qualifies and converts it (account, contact and opportunity made by the
package's rules), then moves the new opportunity on the kanban."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trellis.platform.identity.preferences import UserPreferences

from browser_support import LiveServer, sign_in_browser
from ui_support import add_user

REP = "rosa@acme.test"
LEAD_DETAIL = re.compile(r".*/t/acme/e/lead/\d+$")


@pytest.fixture
def spanish_rep(live: LiveServer) -> str:
    """A sales rep of ``acme`` who chose Spanish (the browser itself asks for English)."""
    runtime = live.runtime
    user = add_user(runtime, "acme", REP, ["sales_rep"])
    UserPreferences(runtime.registry, clock=runtime.clock).set_locale(user, "es")
    return REP


def _step(page: Any, button: str) -> None:
    """Press a workflow button of the record page and wait for its flash."""
    page.get_by_role("button", name=button, exact=True).click()
    page.locator(".flash", has_text=f"{button}: hecho.").wait_for()


def test_a_spanish_rep_converts_a_lead_and_moves_the_deal(page: Any, spanish_rep: str) -> None:
    sign_in_browser(page, spanish_rep)
    page.goto("/t/acme/e/lead/new")
    assert page.locator("html").get_attribute("lang") == "es"
    page.get_by_label("Nombre", exact=True).fill("Lucía")
    page.get_by_label("Apellidos").fill("Martín")
    page.get_by_label("Empresa", exact=True).fill("Ibérica Navegador")
    page.get_by_label("Correo electrónico", exact=True).fill("lucia@iberica.test")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(LEAD_DETAIL)
    assert "Lead: registro creado." in page.locator(".flash").inner_text()

    for button in ("Empezar a trabajar", "Cualificar", "Convertir"):
        _step(page, button)
    assert page.locator("#value-status").inner_text() == "Convertido"
    link = page.locator("#value-converted_opportunity a")
    assert link.inner_text() == "Ibérica Navegador"
    deal_id = str(link.get_attribute("href")).rstrip("/").rsplit("/", 1)[-1]

    card = f"#card-{deal_id}"
    page.goto("/t/acme/e/opportunity/kanban?q=navegador")
    assert page.locator(f'[data-stage-drop="prospecting"] {card}').count() == 1
    page.locator(card).get_by_label("Mover a", exact=True).select_option("proposal")
    page.locator(f"{card} button", has_text="Mover").click()
    page.wait_for_function(
        "id => document.querySelector('[data-stage-drop=\"proposal\"] #card-' + id) !== null",
        arg=deal_id,
    )
    assert "Movido a Propuesta." in page.locator("#kanban-message").inner_text()
    page.goto(f"/t/acme/e/opportunity/{deal_id}")
    assert page.locator("#value-stage").inner_text() == "Propuesta"
    assert page.errors == []
