"""The pipeline forecast as of a past moment (``GET /_forecast?as_of=``) on SQLite and
PostgreSQL: past sums, the caller's scope and hidden fields, and bad values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pipeline_as_of_support import World, build_world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from build_world(request.param, tmp_path_factory.mktemp(request.param))


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
