"""Money in several currencies: rollups, dashboards, forecast, rates API and CLI.

One tenant per database (SQLite and PostgreSQL) holds every record these tests read:
base currency EUR; rates EUR→USD 1.25 from 2026-01-01 and 1.10 from 2026-06-01,
EUR→JPY 160 from 2026-01-01, BHD→EUR 2.4 from 2026-03-01, nothing for GBP; today is
2026-07-01 on the runtime's clock.
"""

from __future__ import annotations

import io
import os
import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.api.app import create_app
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.dashboards import TileData, compute_dashboard
from trellis.platform.money import MissingRate
from trellis.platform.money.rates import parse_rate
from trellis.platform.money.service import store_rates
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.rules.expr import EvalContext
from trellis.ui.screens.app import create_web_app
from trellis.ui.screens.dashboard_view import tile_view

from conftest import PG_URL, drop_schemas
from ui_support import sign_in

TODAY = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
FILES = {
    "app.yaml": """
        name: money
        version: "1.0"
        currency: EUR
    """,
    "entities/account.yaml": """
        title: name
        fields:
          name: {type: string, required: true}
          total: {type: money, rollup: {from: deal.account, agg: sum, field: amount}}
          total_today: {type: money, rollup: {from: deal.account, agg: sum, field: amount_today}}
          biggest: {type: money, rollup: {from: deal.account, agg: max, field: amount}}
          deals: {type: integer, rollup: {from: deal.account, agg: count}}
    """,
    "entities/deal.yaml": """
        title: name
        fields:
          name: {type: string, required: true}
          account: {type: reference, to: account}
          currency: {type: enum, options: [EUR, USD, JPY, BHD, GBP], default: '"EUR"'}
          amount: {type: money, currency_field: currency, rate_date: close_date}
          amount_today: {type: money, currency_field: currency, rate_date: today}
          close_date: {type: date}
          stage: {type: pipeline, pipeline: deal}
    """,
    "entities/offer.yaml": """
        fields:
          currency: {type: enum, options: [EUR, USD, GBP]}
          amount: {type: money, currency_field: currency}
          half: {type: money, formula: "amount / 2"}
          half_local: {type: money, currency_field: currency, formula: "amount / 2"}
    """,
    "pipelines/deal.yaml": """
        pipeline: deal
        stages:
          - {name: proposal, label: Proposal, probability: 50}
          - {name: won, label: Won, probability: 100, won: true}
          - {name: lost, label: Lost, probability: 0, lost: true}
    """,
    "dashboards/sales.yaml": """
        dashboard: sales
        label: Sales
        tiles:
          - {kind: kpi, label: Pipeline, entity: deal, agg: sum, field: amount}
          - {kind: bar, label: Split, entity: deal, agg: sum, field: amount, group_by: currency}
          - {kind: kpi, label: Deals, entity: deal, agg: count}
    """,
    "roles.yaml": """
        roles:
          rep:
            entities:
              deal: {actions: [create, read, update], scope: all}
              account: {actions: [create, read, update], scope: all}
    """,
}
RATES = [
    ("EUR", "USD", "1.25", "2026-01-01"),
    ("EUR", "USD", "1.10", "2026-06-01"),
    ("EUR", "JPY", "160", "2026-01-01"),
    ("BHD", "EUR", "2.4", "2026-03-01"),
]


@dataclass
class World:
    runtime: Runtime
    client: TestClient  # type: ignore[type-arg]
    admin: str
    rep: str
    accounts: dict[str, int]

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any, token: str | None = None) -> Any:
        url = f"/t/acme/api/{path}"
        return self.client.post(url, json=body, headers=self.headers(token or self.admin))

    def get(self, path: str, token: str | None = None) -> Any:
        return self.client.get(f"/t/acme/api/{path}", headers=self.headers(token or self.admin))

    def put(self, path: str, body: Any, token: str | None = None) -> Any:
        url = f"/t/acme/api/{path}"
        return self.client.put(url, json=body, headers=self.headers(token or self.admin))


def _write_package(root: Path) -> Path:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def _deal(world: World, **data: Any) -> dict[str, Any]:
    answer = world.post("deal", {"stage": "proposal", **data})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("money")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    config = (
        RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0)
        if request.param == "sqlite"
        else RuntimeConfig(
            data_dir=tmp / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    )
    runtime = Runtime(config, clock=FakeClock(TODAY))
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", _write_package(tmp / "pkg"))
    admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
    runtime.registry.add_membership("acme", admin, ["admin"])
    rep = runtime.registry.ensure_user("rep@acme.test", "correct horse battery")
    runtime.registry.add_membership("acme", rep, ["rep"])
    rates = [parse_rate(a, b, r, d) for a, b, r, d in RATES]
    store_rates(runtime, "acme", rates, admin)
    with TestClient(app=create_app(runtime)) as client:
        w = World(
            runtime,
            client,
            runtime.registry.create_token("acme", "admin@acme.test"),
            runtime.registry.create_token("acme", "rep@acme.test"),
            {},
        )
        for name in ("Mixed", "Gulf"):
            w.accounts[name] = w.post("account", {"name": name}).json()["id"]
        mixed, gulf = w.accounts["Mixed"], w.accounts["Gulf"]
        _deal(
            w,
            name="A",
            account=mixed,
            amount="60000",
            amount_today="60000",
            currency="EUR",
            close_date="2026-02-01",
        )
        _deal(
            w,
            name="B",
            account=mixed,
            amount="1000",
            amount_today="1100",
            currency="USD",
            close_date="2026-02-01",
        )
        _deal(w, name="C", account=gulf, amount="100", currency="BHD", close_date="2026-03-05")
        _deal(w, name="D", account=gulf, amount="16000", currency="JPY", close_date="2026-02-01")
        # No account, so no rollup converts it: saved, and flagged where it is summed.
        _deal(w, name="E", amount="500", currency="GBP", close_date="2026-02-01")
        yield w
    runtime.close()
    if request.param == "postgres":
        drop_schemas(PG_URL, prefix)


def _account(world: World, name: str) -> dict[str, Any]:
    body: dict[str, Any] = world.get(f"account/{world.accounts[name]}").json()
    return body


def test_rollup_converts_each_currency_at_the_record_date(world: World) -> None:
    mixed = _account(world, "Mixed")
    # 60,000 EUR + 1,000 USD at 1.25 (February) = 60,800 EUR, never "61000".
    assert mixed["total"] == "60800.00"
    assert mixed["biggest"] == "60000.00"
    assert mixed["deals"] == 2
    # 100 BHD at 2.4 (rate of 2026-03-01) + 16,000 JPY at 1/160.
    assert _account(world, "Gulf")["total"] == "340.00"


def test_rate_date_today_uses_todays_rate(world: World) -> None:
    # amount_today: 1,100 USD at today's 1.10 (June's rate) = 1,000 EUR.
    assert _account(world, "Mixed")["total_today"] == "61000.00"


@pytest.mark.parametrize(
    ("currency", "day"),
    [("GBP", "2026-02-01"), ("BHD", "2026-02-15")],  # no GBP rate; BHD only from March
)
def test_missing_rate_is_422_naming_field_and_date(world: World, currency: str, day: str) -> None:
    answer = world.post(
        "deal",
        {
            "name": "No rate",
            "account": world.accounts["Mixed"],
            "amount": "10",
            "currency": currency,
            "close_date": day,
        },
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "amount": [f"No exchange rate from {currency} to EUR on or before {day}."]
    }
    assert _account(world, "Mixed")["deals"] == 2  # nothing stored


def test_money_formula_converts_to_the_base_currency(world: World) -> None:
    # rate_date defaults to created_at: today (2026-07-01), USD at 1.10.
    offer = world.post("offer", {"currency": "USD", "amount": "1100"})
    assert offer.status_code == 201, offer.text
    assert (offer.json()["half"], offer.json()["half_local"]) == ("500.00", "550.00")
    euros = world.post("offer", {"currency": "EUR", "amount": "10"}).json()
    assert (euros["half"], euros["half_local"]) == ("5.00", "5.00")
    refused = world.post("offer", {"currency": "GBP", "amount": "10"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "half": ["No exchange rate from GBP to EUR on or before 2026-07-01."]
    }


def test_dashboard_sum_with_a_missing_rate_is_flagged(world: World) -> None:
    runtime = world.runtime
    identity = runtime.registry.member_identity("acme", runtime.registry.user_id("admin@acme.test"))
    assert identity is not None
    call = Services(runtime).call_as("acme", identity)
    ectx = EvalContext(now=TODAY)
    with runtime.engines.tenant_connection("acme") as conn:
        kpi, bars, count = compute_dashboard(
            conn, call.access, call.app.model.dashboards["sales"], ectx
        )
    assert kpi.value == Decimal("61140.00") and kpi.currency == "EUR"
    assert [m.sentence() for m in kpi.missing] == [
        "No exchange rate from GBP to EUR on or before 2026-02-01."
    ]
    assert {g.key: g.value for g in bars.groups}["USD"] == Decimal("800.00")
    assert bars.missing == kpi.missing
    assert count.value == 5 and not count.missing


def test_dashboard_screen_shows_base_symbol_and_flag(world: World) -> None:
    model = world.runtime.app("acme").model
    tile = model.dashboards["sales"].tiles[0]
    gap = MissingRate("GBP", date(2026, 2, 1), "EUR")
    data = TileData(tile, value=Decimal("61140"), currency="EUR", missing=(gap,))
    view = tile_view(model, data, 0)
    assert view.value_text == "€61,140.00 *"
    assert view.flag is not None and "GBP to EUR on or before 2026-02-01" in view.flag


def test_forecast_converts_and_lists_missing_rates(world: World) -> None:
    body = world.get("_forecast?pipeline=deal&date=close_date").json()
    assert body["currency"] == "EUR"
    assert body["months"] == [
        {"month": "2026-02", "amount": "60900.00", "weighted": "30450.00", "count": 3},
        {"month": "2026-03", "amount": "240.00", "weighted": "120.00", "count": 1},
    ]
    assert body["total"] == {"amount": "61140.00", "weighted": "30570.00", "count": 4}
    assert [(m["currency"], m["date"]) for m in body["missing_rates"]] == [("GBP", "2026-02-01")]


def test_forecast_gaps_and_as_of_refusals_follow_accept_language(world: World) -> None:
    spanish = {**world.headers(world.admin), "Accept-Language": "es-ES,es;q=0.9"}
    url = "/t/acme/api/_forecast?pipeline=deal&date=close_date"
    (gap,) = world.client.get(url, headers=spanish).json()["missing_rates"]
    assert gap == {
        "currency": "GBP",
        "date": "2026-02-01",
        "message": "No hay tipo de cambio de GBP a EUR el 2026-02-01 o antes.",
    }
    (english,) = world.get("_forecast?pipeline=deal&date=close_date").json()["missing_rates"]
    assert english["message"] == "No exchange rate from GBP to EUR on or before 2026-02-01."
    stages = "/t/acme/api/_stages?pipeline=deal&as_of=2026-13-01T00:00:00Z"
    refused = world.client.get(stages, headers=spanish)
    assert refused.status_code == 400
    assert refused.json()["errors"]["as_of"] == [
        "«2026-13-01T00:00:00Z» no es una fecha y hora como 2026-10-01T00:00:00Z."
    ]


def test_rates_api_lists_and_sets_for_admins(world: World) -> None:
    listed = world.get("_rates?currency=BHD").json()
    assert listed == {
        "base": "EUR",
        "items": [{"from": "BHD", "to": "EUR", "date": "2026-03-01", "rate": "2.4"}],
    }
    stored = world.put(
        "_rates",
        {
            "items": [
                {"from": "EUR", "to": "CHF", "date": "2026-01-01", "rate": "0.95"},
                {"from": "EUR", "to": "CHF", "date": "2026-01-01", "rate": 0.94},
            ]
        },
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] == 2
    chf = world.get("_rates?currency=CHF").json()["items"]
    assert chf == [{"from": "EUR", "to": "CHF", "date": "2026-01-01", "rate": "0.94"}]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"from": "EUU", "to": "USD", "date": "2026-01-01", "rate": "1"},
            {"from": ["'EUU' is not an ISO 4217 currency code such as EUR or USD."]},
        ),
        (
            {"from": "EUR", "to": "USD", "date": "2026-02-30", "rate": "-1"},
            {
                "rate": [
                    "'-1' is not a number from 0.0000000001 to below "
                    "100,000,000,000,000 (at most 10 decimal places)."
                ],
                "date": ["'2026-02-30' is not a date like 2026-01-31."],
            },
        ),
        (
            {"items": [{"from": "EUR", "to": "EUR", "date": "2026-01-01", "rate": "1", "x": 1}]},
            {
                "items.0.x": ["Unknown key 'x'; a rate has from, to, date, rate."],
                "items.0.to": ["A rate converts between two different currencies."],
            },
        ),
    ],
)
def test_rates_api_refuses_bad_rates(
    world: World, body: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    answer = world.put("_rates", body)
    assert answer.status_code == 422
    assert answer.json()["errors"] == errors


def test_rates_api_is_for_admins_only(world: World) -> None:
    assert world.get("_rates", world.rep).status_code == 403
    body = {"from": "EUR", "to": "USD", "date": "2026-01-01", "rate": "9"}
    assert world.put("_rates", body, world.rep).status_code == 403
    assert world.get("_rates?currency=USD").json()["items"][0]["rate"] == "1.25"
    rep_doc = world.get("openapi.json", world.rep).json()
    admin_doc = world.get("openapi.json").json()
    assert "/t/acme/api/_rates" in admin_doc["paths"]
    assert "/t/acme/api/_rates" not in rep_doc["paths"]


def test_cli_sets_lists_and_imports_rates(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    config = world.runtime.config
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    where = ["--data-dir", str(config.data_dir)]
    assert main(["rates", "set", "acme", "EUR", "SEK", "11.5", "--date", "2026-01-01", *where]) == 0
    good = tmp_path / "rates.csv"
    good.write_text("date,from,to,rate\n2026-02-01,EUR,SEK,11.2\n2026-03-01,SEK,EUR,0.09\n")
    assert main(["rates", "import", "acme", str(good), *where]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("date,from,to,rate\n2026-04-01,EUR,SEK,11\n2026-04-02,EUR,SEK,abc\n")
    assert main(["rates", "import", "acme", str(bad), *where]) == 1
    assert main(["rates", "set", "acme", "EUR", "SEK", "0", "--date", "2026-01-01", *where]) == 1
    capsys.readouterr()
    assert main(["rates", "list", "acme", "--currency", "SEK", *where]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "base currency: EUR",
        "2026-01-01 EUR SEK 11.5",
        "2026-02-01 EUR SEK 11.2",
        "2026-03-01 SEK EUR 0.09",
    ]


def test_screens_show_converted_values_with_the_base_symbol(world: World) -> None:
    with TestClient(app=create_web_app(world.runtime)) as web:
        assert sign_in(web, "acme", "admin@acme.test").status_code in (302, 303)
        board = web.get("/t/acme/dashboards/sales").text
        assert "€61,140.00 *" in board
        assert "No exchange rate from GBP to EUR on or before 2026-02-01." in board
        detail = web.get(f"/t/acme/e/account/{world.accounts['Mixed']}").text
        assert "€60,800.00" in detail and "€61,000.00" in detail
        kanban = web.get("/t/acme/e/deal/kanban").text
        assert "€61,140.00" in kanban and 'class="missing-rate"' in kanban
