"""Stage statistics and dashboard tiles as of a past moment (``GET /_stages?as_of=``,
``GET /_dashboards/{name}?as_of=`` and the dashboard screen's ``?as_of=``) on SQLite and
PostgreSQL: figures then, the caller's scope and hidden fields, and bad values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import TestClient
from pipeline_as_of_support import World, build_world

from trellis.ui.screens.app import create_web_app

from ui_support import sign_in


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from build_world(request.param, tmp_path_factory.mktemp(request.param))


def _figures(body: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per stage: (entered, current, avg_seconds, converted, conversion)."""
    return {
        s["stage"]: (s["entered"], s["current"], _seconds(s), s["converted"], s["conversion"])
        for s in body["stages"]
    }


def _seconds(stage: dict[str, Any]) -> float | None:
    """The average stay to the millisecond (SQLite's julianday is not exact)."""
    value = stage["avg_seconds"]
    return None if value is None else round(value, 3)


def _tiles(world: World, who: str, **params: str) -> dict[str, dict[str, Any]]:
    response = world.apis[who].get("_dashboards/board", params=params)
    assert response.status_code == 200, response.text
    return {t["label"]: t for t in response.json()["tiles"]}


def _value(tile: dict[str, Any]) -> Decimal:
    return Decimal(tile["value"])


ZERO = (0, 0, None, 0, None)


def test_the_stage_report_as_of_a_past_moment_is_the_report_then(world: World) -> None:
    before = world.tick()
    a = world.deal("rep2", stage="lead", amount="10")
    b = world.deal("rep2", stage="lead", amount="20")
    world.tick()
    then_rep, then_admin = world.stages("rep2"), world.stages("admin")
    at = world.tick()
    world.change("rep2", a, stage="proposal")
    world.change("rep2", b, stage="lost")
    c = world.deal("rep2", stage="lead")
    later = world.tick()
    now = world.stages("rep2")
    past = world.stages("rep2", as_of=at)
    assert past == then_rep
    assert world.stages("admin", as_of=at) == then_admin
    assert _figures(past) == {
        "lead": (2, 2, None, 0, 0.0),
        "proposal": ZERO,
        "won": ZERO,
        "lost": ZERO,
    }
    assert _figures(now) == {
        "lead": (3, 1, 120.0, 1, 0.3333),
        "proposal": (1, 1, None, 0, 0.0),
        "won": ZERO,
        "lost": (1, 1, None, 0, 0.0),
    }
    assert all(v == ZERO for v in _figures(world.stages("rep2", as_of=before)).values())
    assert world.stages("rep2", as_of="2099-01-01T00:00:00Z") == now
    assert world.apis["rep2"].delete(f"deal/{c}").status_code == 403
    assert world.apis["admin"].delete(f"deal/{c}").status_code == 204
    world.tick()
    assert _figures(world.stages("rep2"))["lead"] == (2, 0, 120.0, 1, 0.5)
    assert world.stages("rep2", as_of=later) == now  # the deleted deal counts then
    # Another rep's scope holds none of these deals, then as now.
    assert all(v == ZERO for v in _figures(world.stages("rep", as_of=later)).values())


def test_dashboard_tiles_as_of_a_past_moment_are_the_tiles_then(world: World) -> None:
    a = world.deal("rep", stage="lead", amount="10")
    b = world.deal("rep", stage="lead", amount="20")
    world.tick()
    then = _tiles(world, "rep")
    at = world.tick()
    world.change("rep", a, stage="proposal", amount="15")
    world.change("rep", b, stage="lost")
    world.deal("rep", stage="lead", amount="5")
    world.tick()
    now = _tiles(world, "rep")
    response = world.apis["rep"].get("_dashboards/board", params={"as_of": at})
    body = response.json()
    assert body["as_of"] == at and body["dashboard"] == "board"
    past = {t["label"]: t for t in body["tiles"]}
    assert past == then
    assert _value(past["Open amount"]) == 30 and _value(now["Open amount"]) == 20
    assert _value(past["Deals"]) == 2 and _value(now["Deals"]) == 3
    groups = {g["key"]: Decimal(g["value"]) for g in past["By stage"]["groups"]}
    assert groups == {"lead": 2, "proposal": 0, "won": 0, "lost": 0}
    assert past["Margin"]["unavailable"] and past["Margin"]["value"] is None
    admin = _tiles(world, "admin", as_of=at)
    assert admin["Margin"]["unavailable"] is None
    assert _tiles(world, "rep", as_of="2099-01-01T00:00:00Z") == now


def test_the_dashboard_screen_shows_figures_as_of(world: World) -> None:
    at = world.tick()
    with TestClient(app=create_web_app(world.runtime)) as client:
        assert sign_in(client, "pipe", "admin@pipe.test", "long enough secret").status_code in (
            302,
            303,
        )
        page = client.get("/t/pipe/dashboards/board", params={"as_of": at})
        assert page.status_code == 200, page.text
        assert 'id="as-of-notice"' in page.text and at in page.text
        live = client.get("/t/pipe/dashboards/board")
        assert 'id="as-of-notice"' not in live.text
        bad = client.get("/t/pipe/dashboards/board", params={"as_of": "last monday"})
        assert bad.status_code == 400
        assert re.search(r"as_of|date-time", bad.text)


@pytest.mark.parametrize(
    "value", ["2026-10-01", "yesterday", "2026-02-30T00:00:00Z", "2026-10-01T00:00:00", ""]
)
def test_a_bad_as_of_is_400_naming_it_as_for_lists(world: World, value: str) -> None:
    listed = world.apis["admin"].get("deal", params={"as_of": value})
    assert listed.status_code == 400, listed.text
    for path in ("_stages", "_dashboards/board"):
        response = world.apis["admin"].get(path, params={"as_of": value})
        assert response.status_code == 400, response.text
        assert response.json() == listed.json()


def test_dashboards_list_and_unknown_names(world: World) -> None:
    listing = world.apis["rep"].get("_dashboards")
    assert listing.status_code == 200
    assert [d["name"] for d in listing.json()["items"]] == ["board"]
    missing = world.apis["rep"].get("_dashboards/nope", params={"as_of": world.tick()})
    assert missing.status_code == 404
    assert "errors" in missing.json()
