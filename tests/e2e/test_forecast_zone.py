"""The weighted forecast groups datetimes by month in the tenant's zone, not in UTC."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

DEAL = """
    fields:
      name: {type: string, required: true}
      stage: {type: pipeline, pipeline: sales}
      won_on: {type: datetime}
      seats: {type: integer}
"""
SALES = """
    pipeline: sales
    stages:
      - {name: lead, probability: 10}
      - {name: won, probability: 100, won: true}
"""


def _tenant(runtime: Runtime, client: TestClient, root: Path, zone: str) -> Api:  # type: ignore[type-arg]
    with (root / "app.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"timezone: {zone}\n")
    (root / "pipelines").mkdir()
    (root / "pipelines" / "sales.yaml").write_text(textwrap.dedent(SALES).lstrip())
    runtime.registry.create_tenant("zoned")
    publish(runtime, "zoned", root)
    user = runtime.registry.ensure_user("boss@zoned.test", "password123")
    runtime.registry.add_membership("zoned", user, ["admin"])
    return Api(client, "zoned", runtime.registry.create_token("zoned", "boss@zoned.test"))


def _deal(api: Api, **values: Any) -> None:
    response = api.post("deal", json={"name": "Deal", **values})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("zone", "instant", "month"),
    [
        # 31 January 2026, 23:30 in Madrid (CET, UTC+1) is 22:30 UTC: January both ways,
        ("Europe/Madrid", "2026-01-31T22:30:00Z", "2026-01"),
        # 31 March 23:30 in Madrid (CEST, UTC+2) is still March there, 21:30 UTC.
        ("Europe/Madrid", "2026-03-31T21:30:00Z", "2026-03"),
        # 1 February 00:30 in Madrid is 31 January 23:30 UTC: February in Madrid.
        ("Europe/Madrid", "2026-01-31T23:30:00Z", "2026-02"),
        # 30 April 22:00 in New York (EDT, UTC-4) is 1 May 02:00 UTC: April in New York.
        ("America/New_York", "2026-05-01T02:00:00Z", "2026-04"),
    ],
)
def test_forecast_month_is_the_tenant_zones_month(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
    zone: str,
    instant: str,
    month: str,
) -> None:
    api = _tenant(runtime, client, write_package({"deal": DEAL}), zone)
    _deal(api, stage="lead", seats=10, won_on=instant)
    _deal(api, stage="won", seats=3, won_on="2026-06-15T12:00:00Z")
    body = api.get("_forecast", params={"amount": "seats", "date": "won_on"}).json()
    assert body["months"][0] == {"month": month, "amount": "10.00", "weighted": "1.00", "count": 1}
    assert body["months"][1]["month"] == "2026-06"
    # The month filter uses the same local month: the record is in it and only in it.
    only = api.get(
        "_forecast", params={"amount": "seats", "date": "won_on", "from": month, "to": month}
    ).json()
    assert [m["month"] for m in only["months"]] == [month]


def test_forecast_month_filter_starts_at_local_midnight(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> None:
    api = _tenant(runtime, client, write_package({"deal": DEAL}), "Europe/Madrid")
    _deal(api, stage="lead", seats=1, won_on="2026-01-31T23:30:00Z")  # 1 Feb 00:30 Madrid
    january = api.get(
        "_forecast", params={"amount": "seats", "date": "won_on", "to": "2026-01"}
    ).json()
    february = api.get(
        "_forecast", params={"amount": "seats", "date": "won_on", "from": "2026-02"}
    ).json()
    assert january["months"] == []
    assert [m["month"] for m in february["months"]] == ["2026-02"]
