"""The pipeline forecast as of a past moment (``GET /_forecast?as_of=``) on SQLite and
PostgreSQL: past sums, the caller's scope and hidden fields, and bad values."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.clock import FakeClock
from trellis.platform.money.rates import parse_rate
from trellis.platform.money.service import store_rates
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api

FILES = {
    "app.yaml": "name: pipe\nversion: 1.0.0\nlabel: Pipe\ncurrency: EUR\n",
    "entities/deal.yaml": """
        title: name
        fields:
          name: {type: string, required: true}
          stage: {type: pipeline, pipeline: sales}
          amount: {type: money}
          margin: {type: money}
          close_date: {type: date}
          currency: {type: enum, options: [EUR, USD]}
          local: {type: money, currency_field: currency, rate_date: today}
    """,
    "pipelines/sales.yaml": """
        pipeline: sales
        stages:
          - {name: lead, probability: 10}
          - {name: proposal, probability: 50}
          - {name: won, probability: 100, won: true}
          - {name: lost, probability: 0, lost: true}
    """,
    "roles.yaml": """
        roles:
          rep:
            entities:
              deal:
                actions: [create, read, update]
                scope: own
                fields: {margin: hidden}
    """,
}
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Tenant ``pipe`` on a clock the tests move; an admin and two reps."""

    runtime: Runtime
    clock: FakeClock
    apis: dict[str, Api] = field(default_factory=dict)

    def deal(self, who: str, **body: Any) -> int:
        response = self.apis[who].post("deal", json={"name": "Deal", **body})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def change(self, who: str, ident: int, **body: Any) -> None:
        response = self.apis[who].patch(f"deal/{ident}", json=body)
        assert response.status_code == 200, response.text

    def tick(self) -> str:
        """Move the clock one minute on; the moment before the move, as RFC 3339."""
        at = self.clock.now().isoformat().replace("+00:00", "Z")
        self.clock.advance(60)
        return at

    def forecast(self, who: str, **params: str) -> dict[str, Any]:
        response = self.apis[who].get("_forecast", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())


def _write(root: Path) -> None:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(request.param)
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    extra: dict[str, Any] = (
        {"database_url": PG_URL, "schema_prefix": prefix} if request.param == "postgres" else {}
    )
    config = RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0, **extra)
    _write(tmp / "pkg")
    clock = FakeClock(START)
    runtime = Runtime(config, clock=clock)
    try:
        runtime.registry.create_tenant("pipe")
        publish(runtime, "pipe", tmp / "pkg")
        with TestClient(app=create_web_app(runtime)) as client:
            world = World(runtime, clock)
            reg = runtime.registry
            for who, roles in (("admin", ["admin"]), ("rep", ["rep"]), ("rep2", ["rep"])):
                email = f"{who}@pipe.test"
                user = reg.ensure_user(email, "long enough secret")
                reg.add_membership("pipe", user, roles)
                world.apis[who] = Api(client, "pipe", reg.create_token("pipe", email))
            rates = [parse_rate("EUR", "USD", "2", "2026-01-01")]
            store_rates(runtime, "pipe", rates, None)
            yield world
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _months(body: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [(m["month"], m["amount"], m["weighted"], m["count"]) for m in body["months"]]


def test_forecast_as_of_a_past_moment_is_the_forecast_then(world: World) -> None:
    before = world.tick()
    one = world.deal("admin", stage="lead", amount="1000", close_date="2027-01-10")
    two = world.deal("admin", stage="proposal", amount="400", close_date="2027-01-20")
    world.tick()
    then = world.forecast("admin", **{"from": "2027-01", "to": "2027-01"})
    at = world.tick()
    world.change("admin", one, stage="proposal", amount="1200")  # moves up
    world.change("admin", two, stage="lost")  # leaves the forecast
    world.deal("admin", stage="won", amount="50", close_date="2027-01-05")  # created since
    world.tick()
    now = world.forecast("admin", **{"from": "2027-01", "to": "2027-01"})
    past = world.forecast("admin", **{"from": "2027-01", "to": "2027-01", "as_of": at})
    assert _months(then) == [("2027-01", "1400.00", "300.00", 2)]
    assert _months(now) == [("2027-01", "1250.00", "650.00", 2)]
    assert past == then
    assert past["total"] == {"amount": "1400.00", "weighted": "300.00", "count": 2}
    empty = world.forecast("admin", **{"from": "2027-01", "to": "2027-01", "as_of": before})
    assert empty["months"] == [] and empty["total"]["count"] == 0
    future = world.forecast(
        "admin", **{"from": "2027-01", "to": "2027-01", "as_of": "2099-01-01T00:00:00Z"}
    )
    assert future == now


def test_forecast_as_of_undoes_a_delete_and_converts_currencies(world: World) -> None:
    gone = world.deal(
        "admin", stage="won", amount="70", close_date="2027-03-01", currency="USD", local="300"
    )
    world.deal("admin", stage="won", close_date="2027-03-02", currency="EUR", local="25")
    at = world.tick()
    assert world.apis["admin"].delete(f"deal/{gone}").status_code == 204
    world.tick()
    window = {"from": "2027-03", "to": "2027-03"}
    assert world.forecast("admin", **window)["total"]["amount"] == "0.00"
    assert world.forecast("admin", **window, as_of=at)["total"]["amount"] == "70.00"
    converted = world.forecast("admin", **window, amount="local", as_of=at)
    assert converted["currency"] == "EUR"
    assert converted["total"] == {"amount": "175.00", "weighted": "175.00", "count": 2}
    assert converted["missing_rates"] == []
    live = world.forecast("admin", **window, amount="local")
    assert live["total"] == {"amount": "25.00", "weighted": "25.00", "count": 1}


def test_a_reps_forecast_as_of_sums_only_its_records_and_no_hidden_field(world: World) -> None:
    world.deal("rep", stage="lead", amount="100", close_date="2027-05-01")
    world.deal("rep2", stage="lead", amount="900", close_date="2027-05-02")
    at = world.tick()
    world.tick()
    window = {"from": "2027-05", "to": "2027-05", "as_of": at}
    assert _months(world.forecast("rep", **window)) == [("2027-05", "100.00", "10.00", 1)]
    assert _months(world.forecast("admin", **window)) == [("2027-05", "1000.00", "100.00", 2)]
    hidden = world.apis["rep"].get("_forecast", params={**window, "amount": "margin"})
    assert hidden.status_code == 400, hidden.text
    assert "field" in hidden.json()["errors"]


@pytest.mark.parametrize(
    "value", ["2026-10-01", "yesterday", "2026-02-30T00:00:00Z", "2026-10-01T00:00:00"]
)
def test_a_bad_forecast_as_of_is_400_naming_it(world: World, value: str) -> None:
    response = world.apis["admin"].get("_forecast", params={"as_of": value})
    assert response.status_code == 400, response.text
    assert "as_of" in response.json()["errors"]
    listed = world.apis["admin"].get("deal", params={"as_of": value})
    assert listed.status_code == 400 and listed.json() == response.json()


def test_the_stage_report_refuses_as_of_instead_of_answering_today(world: World) -> None:
    for value in ("2026-10-01T00:00:00Z", "yesterday"):
        response = world.apis["admin"].get("_stages", params={"as_of": value})
        assert response.status_code == 400, response.text
        assert "as_of" in response.json()["errors"]
