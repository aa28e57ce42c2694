"""The CRM dashboards' ratio KPIs and the forecast screen, in English and in Spanish."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.ui.screens.app import create_web_app

from ui_support import crm_tenant, sign_in

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient[Any]]:
    api = Services(runtime)
    crm_tenant(runtime)
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    identity = runtime.registry.member_identity("acme", admin)
    assert identity is not None
    call = api.call_as("acme", identity)

    def create(entity: str, **data: Any) -> int:
        body = json.loads(encode(api.records.create(call, call.app.entities[entity], data).record))
        assert "id" in body, body
        return int(body["id"])

    account = create("account", name="Big Co")
    for amount, stage, close in (("1000", "won", "2026-05-10"), ("3000", "won", "2026-06-10"),
                                 ("500", "lost", "2026-05-02"), ("800", "proposal", "2026-07-01"),
                                 ("200", "lost", "2026-04-01")):  # fmt: skip
        create("opportunity", name=f"Deal {amount}", account=account, amount=amount,
               stage=stage, close_date=close)  # fmt: skip
    create("quota", name="May", month="2026-05-01", amount="2000")
    create("quota", name="June", month="2026-06-01", amount="3000")
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "acme", "admin@acme.test").status_code == 303
        yield web


def kpi(html: str, label: str) -> str:
    """The value shown on the KPI tile ``label``."""
    found = re.search(
        rf'<h2 class="kpi-label">{re.escape(label)}</h2>\s*<p class="kpi-value">([^<]*)</p>', html
    )
    assert found, f"no KPI {label}"
    return found.group(1)


def test_a_ratio_kpi_shows_as_a_percentage_in_each_language(client: TestClient[Any]) -> None:
    english = client.get("/t/acme/dashboards/sales", headers=ENGLISH).text
    assert kpi(english, "Win rate") == "50.00 %"  # two won of four closed
    assert "Weighted pipeline by stage" in english
    spanish = client.get("/t/acme/dashboards/sales", headers=SPANISH).text
    assert '<html lang="es">' in spanish
    assert kpi(spanish, "Tasa de éxito") == "50,00 %"
    assert "Embudo ponderado por etapa" in spanish


def test_the_forecast_screen_sets_won_amounts_against_quotas(client: TestClient[Any]) -> None:
    english = client.get("/t/acme/dashboards/forecast", headers=ENGLISH).text
    assert kpi(english, "Quota attainment") == "80.00 %"  # 4,000 won of 5,000 quota
    for title in ("Forecast vs quota", "Quota by salesperson"):
        assert f">{title}</h2>" in english
    # Forecast and quota are two series of one chart, with a legend and a two-column table.
    assert english.count('class="chart-line chart-line-2"') == 1
    legend = '<span class="legend-1">Weighted forecast</span> <span class="legend-2">Quota</span>'
    assert legend in english
    assert (
        '<th scope="col" class="num">Weighted forecast</th><th scope="col" class="num">Quota'
        in english
    )
    spanish = client.get("/t/acme/dashboards/forecast", headers=SPANISH).text
    assert "<h1>Previsión</h1>" in spanish
    assert kpi(spanish, "Cumplimiento de la cuota") == "80,00 %"
    assert ">Previsión frente a cuota</h2>" in spanish
    assert '<span class="legend-2">Cuota</span>' in spanish


def test_a_ratio_without_records_shows_no_value(client: TestClient[Any]) -> None:
    english = client.get("/t/acme/dashboards/support", headers=ENGLISH).text
    assert kpi(english, "SLA compliance") == "—"
    assert kpi(english, "NPS") == "—"
    spanish = client.get("/t/acme/dashboards/support", headers=SPANISH).text
    assert kpi(spanish, "Cumplimiento del SLA") == "—"
    assert kpi(spanish, "Primera respuesta (horas)") == "—"
