"""Screens and API in Spanish and English: locale choice, labels of values, local formats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_records import creator
from ui_support import PASSWORD, post_form, sign_in

PACKAGE = Path(__file__).parent / "i18n_pkg"
SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


def _package(tmp_path: Path, locale: str | None) -> Path:
    """The test package, with ``locale:`` in app.yaml set or left out."""
    target = tmp_path / f"pkg-{locale}"
    for source in PACKAGE.rglob("*.yaml"):
        out = target / source.relative_to(PACKAGE)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text("utf-8")
        if source.name == "app.yaml":
            text = text.replace("locale: es\n", f"locale: {locale}\n" if locale else "")
        out.write_text(text, "utf-8")
    return target


def _tenant(runtime: Runtime, tmp_path: Path, name: str, locale: str | None) -> int:
    runtime.registry.create_tenant(name)
    publish(runtime, name, _package(tmp_path, locale))
    user = runtime.registry.ensure_user(f"admin@{name}.test", PASSWORD)
    runtime.registry.add_membership(name, user, ["admin"])
    create = creator(runtime, name, user)
    create(
        "deal",
        name="Gran cuenta",
        priority="high",
        stage="proposal",
        amount="1234.5",
        currency="EUR",
        close_date="2026-12-03",
        meeting_at="2026-12-03T09:00:00Z",
    )
    return user


@pytest.fixture
def web(runtime: Runtime, tmp_path: Path) -> Iterator[TestClient[Any]]:
    """Tenant 'ventas' (app.yaml locale: es) and 'neutral' (no locale), one client."""
    _tenant(runtime, tmp_path, "ventas", "es")
    _tenant(runtime, tmp_path, "neutral", None)
    with TestClient(app=create_web_app(runtime)) as client:
        yield client


def test_spanish_tenant_screens_show_labels_and_local_formats(web: TestClient[Any]) -> None:
    assert sign_in(web, "ventas", "admin@ventas.test").status_code == 303
    listed = web.get("/t/ventas/e/deal").text
    assert '<html lang="es">' in listed
    assert "<h1>Oportunidades</h1>" in listed and "Crear Oportunidad" in listed
    assert ">Prioridad<" in listed and ">Etapa<" in listed
    assert ">Alta<" in listed and ">Propuesta<" in listed  # labels, never the raw values
    assert ">high<" not in listed and ">proposal<" not in listed
    assert "1.234,50\xa0€" in listed and "3 dic 2026" in listed
    assert "Aplicar filtros" in listed and ">es igual a<" in listed
    deal = re.search(r'href="/t/ventas/e/deal/(\d+)"', listed)
    assert deal is not None
    detail = web.get(f"/t/ventas/e/deal/{deal.group(1)}").text
    assert ">Editar<" in detail and ">Alta<" in detail and "Fecha de cierre" in detail
    flow = web.get(f"/t/ventas/e/deal/{deal.group(1)}/_flow", headers={"HX-Request": "true"})
    assert 'aria-label="Mover a Ganada"' in flow.text  # the stage bar speaks Spanish
    form = web.get(f"/t/ventas/e/deal/{deal.group(1)}/edit").text
    assert '<option value="low">Baja</option>' in form and ">Guardar<" in form
    assert ">Cancelar<" in form
    refused = post_form(web, "/t/ventas/e/deal", {"name": "x"})
    assert refused.status_code == 422 and "Un nombre más largo que x" in refused.text
    board = web.get("/t/ventas/e/deal/kanban").text
    assert '<h2 id="col-new">Nueva</h2>' in board
    dashboard = web.get("/t/ventas/dashboards/pipeline").text
    assert "<h1>Embudo</h1>" in dashboard and "Importe abierto" in dashboard
    assert ">Alta</th>" in dashboard and "1.234,50" in dashboard


def test_locale_is_the_members_then_the_tenants_then_the_browsers(
    web: TestClient[Any], runtime: Runtime
) -> None:
    assert sign_in(web, "neutral", "admin@neutral.test").status_code == 303
    assert '<html lang="en">' in web.get("/t/neutral/e/deal").text
    spanish = web.get("/t/neutral/e/deal", headers=SPANISH).text
    assert '<html lang="es">' in spanish and ">Alta<" in spanish
    odd = web.get("/t/neutral/e/deal", headers={"Accept-Language": "xx-YY, ;q=abc, *"})
    assert odd.status_code == 200 and '<html lang="en">' in odd.text  # falls back, no error
    saved = post_form(web, "/t/neutral/account/locale", {"locale": "en"}, follow_redirects=False)
    assert saved.status_code == 303
    assert '<html lang="en">' in web.get("/t/neutral/e/deal", headers=SPANISH).text
    users = runtime.registry.metadata.tables["user_preferences"]
    with runtime.registry.connect() as conn:
        assert conn.execute(sa.select(users.c.locale)).scalars().all() == ["en"]
    assert post_form(web, "/t/neutral/account/locale", {"locale": "fr"}).status_code == 400
    post_form(web, "/t/neutral/account/locale", {"locale": "es"})
    account = web.get("/t/neutral/account").text
    assert "Idioma" in account and '<option value="es" lang="es" selected>' in account
    post_form(web, "/t/neutral/account/locale", {"locale": ""})  # back to the default
    assert '<html lang="en">' in web.get("/t/neutral/e/deal").text


def test_api_keeps_raw_values_and_labels_follow_accept_language(
    web: TestClient[Any], runtime: Runtime
) -> None:
    token = runtime.registry.create_token("ventas", "admin@ventas.test")
    auth = {"Authorization": f"Bearer {token}"}
    listed = web.get("/t/ventas/api/deal", headers={**auth, **SPANISH}).json()
    assert listed["items"][0]["priority"] == "high" and listed["items"][0]["stage"] == "proposal"
    form = web.post("/t/ventas/api/deal/_form", json={}, headers={**auth, **SPANISH}).json()
    priority = form["fields"]["priority"]
    assert priority["label"] == "Prioridad" and priority["visible"] is True
    assert priority["options"] == [
        {"value": "low", "label": "Baja"},
        {"value": "high", "label": "Alta"},
    ]
    english = web.post("/t/ventas/api/deal/_form", json={}, headers=auth).json()
    assert english["fields"]["stage"]["options"][0] == {"value": "new", "label": "New"}
    spec = web.get("/t/ventas/api/openapi.json", headers={**auth, **SPANISH}).json()
    close = spec["components"]["schemas"]["Deal"]["properties"]["close_date"]
    assert (close["title"], close["description"]) == ("Fecha de cierre", "Cuándo se cierra")
    spec_en = web.get("/t/ventas/api/openapi.json", headers=auth).json()
    assert spec_en["components"]["schemas"]["Deal"]["properties"]["close_date"]["title"] == (
        "Close date"
    )


def test_datetimes_show_in_the_members_zone_else_the_tenants(
    web: TestClient[Any], runtime: Runtime
) -> None:
    assert sign_in(web, "ventas", "admin@ventas.test").status_code == 303
    deal = re.search(r'href="/t/ventas/e/deal/(\d+)"', web.get("/t/ventas/e/deal").text)
    assert deal is not None
    url = f"/t/ventas/e/deal/{deal.group(1)}"

    def shown() -> str:
        found = re.search(r'id="value-meeting_at">(?:<[^>]+>)*([^<]*)<', web.get(url).text)
        assert found is not None
        return found.group(1)

    assert shown() == "3/12/26, 9:00 UTC"  # the tenant's zone: UTC (no timezone: in app.yaml)
    saved = post_form(web, "/t/ventas/account/timezone", {"timezone": "Europe/Madrid"})
    assert saved.status_code == 200  # the redirect was followed to the account page
    assert shown() == "3/12/26, 10:00 CET"  # with the zone (issue 18)
    assert post_form(web, "/t/ventas/account/timezone", {"timezone": "Mars/Base"}).status_code == (
        400
    )
    prefs = runtime.registry.metadata.tables["user_preferences"]
    with runtime.registry.connect() as conn:
        assert conn.execute(sa.select(prefs.c.timezone)).scalars().all() == ["Europe/Madrid"]
