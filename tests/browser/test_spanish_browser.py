"""A Spanish-speaking team's screens in Chromium: list, form and detail with labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trellis.platform.publish import publish

from browser_support import LiveServer
from ui_records import creator
from ui_support import PASSWORD

PACKAGE = Path(__file__).parents[1] / "e2e" / "i18n_pkg"
DETAIL = re.compile(r".*/t/ventas/e/deal/\d+$")


@pytest.fixture(scope="module")
def ventas(live: LiveServer) -> str:
    """Tenant 'ventas' (app.yaml ``locale: es``) on the live server, with one deal."""
    runtime = live.runtime
    runtime.registry.create_tenant("ventas")
    publish(runtime, "ventas", PACKAGE)
    user = runtime.registry.ensure_user("admin@ventas.test", PASSWORD)
    runtime.registry.add_membership("ventas", user, ["admin"])
    create = creator(runtime, "ventas", user)
    create(
        "deal",
        name="Cuenta grande",
        priority="low",
        stage="new",
        amount="98765.4",
        currency="EUR",
        close_date="2026-01-15",
    )
    return "ventas"


@pytest.fixture
def spanish_page(browser: Any, live: LiveServer) -> Iterator[Any]:
    """A browser whose language is Spanish (its Accept-Language says so)."""
    context = browser.new_context(base_url=live.url, locale="es-ES")
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()


def test_spanish_list_form_and_detail(spanish_page: Any, ventas: str) -> None:
    tab = spanish_page
    tab.goto(f"/t/{ventas}/login")
    assert tab.locator("html").get_attribute("lang") == "es"
    tab.get_by_label("Correo electrónico").fill("admin@ventas.test")
    tab.get_by_label("Contraseña").fill(PASSWORD)
    tab.get_by_role("button", name="Iniciar sesión").click()
    tab.wait_for_url(f"**/t/{ventas}/")
    tab.goto(f"/t/{ventas}/e/deal")
    assert tab.locator("h1").inner_text() == "Oportunidades"
    row = tab.locator("#list-rows tr").first.inner_text()
    assert "Baja" in row and "Nueva" in row and "98.765,40" in row and "15 ene 2026" in row
    headers = tab.locator("table.records thead").inner_text()
    assert "Prioridad" in headers and "Fecha de cierre" in headers
    operators = tab.locator("#op-1 option").all_inner_texts()
    assert "es igual a" in operators and "contiene" in operators

    tab.get_by_role("link", name="Crear Oportunidad").click()
    tab.get_by_role("button", name="Guardar").click()
    tab.locator("#err-name").wait_for()
    assert tab.locator("#err-name").inner_text() == "Este campo es obligatorio."
    tab.get_by_label("Nombre").fill("Renovación anual")
    tab.get_by_label("Prioridad").select_option(label="Alta")
    tab.get_by_label("Etapa").select_option(label="Propuesta")
    tab.get_by_label("Importe").fill("2500")
    tab.get_by_label("Moneda").select_option("EUR")
    tab.get_by_role("button", name="Guardar").click()
    tab.wait_for_url(DETAIL)
    assert "Oportunidad: registro creado." in tab.locator(".flash").inner_text()
    assert tab.locator("#value-priority").inner_text() == "Alta"
    assert tab.locator("#value-stage").inner_text() == "Propuesta"
    assert tab.locator("#value-amount").inner_text() == "2.500,00\xa0€"
    tab.locator("#record-flow .stage-bar").wait_for()
    assert "Ganada" in tab.locator("#record-flow").inner_text()
    assert tab.errors == []
