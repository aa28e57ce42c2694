"""Pipelines end to end: stage history, stage reports and the weighted forecast."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.db.tables import STAGE_HISTORY_TABLE
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

DEAL = """
    fields:
      name: {type: string, required: true}
      stage: {type: pipeline, pipeline: sales}
      amount: {type: money}
      close_date: {type: date}
      won_on: {type: datetime}
      seats: {type: integer}
"""
SALES = """
    pipeline: sales
    stages:
      - {name: lead, probability: 10}
      - {name: qualify, label: Qualified, probability: 12.5}
      - {name: proposal, probability: 50}
      - {name: won, probability: 100, won: true}
      - {name: lost, probability: 0, lost: true}
"""


@pytest.fixture
def sales(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant 'sales' with a deal entity following the 'sales' pipeline; an admin client."""
    root = write_package({"deal": DEAL})
    (root / "pipelines").mkdir()
    (root / "pipelines" / "sales.yaml").write_text(textwrap.dedent(SALES).lstrip())
    runtime.registry.create_tenant("sales")
    publish(runtime, "sales", root)
    user = runtime.registry.ensure_user("boss@sales.test", "password123")
    runtime.registry.add_membership("sales", user, ["admin"])
    return Api(client, "sales", runtime.registry.create_token("sales", "boss@sales.test"))


def _deal(api: Api, **values: Any) -> dict[str, Any]:
    response = api.post("deal", json={"name": "Deal", **values})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _history_rows(runtime: Runtime, tenant: str) -> list[Any]:
    app = runtime.app(tenant)
    t = app.metadata.tables[STAGE_HISTORY_TABLE]
    with runtime.engines.tenant_connection(tenant) as conn:
        return list(conn.execute(sa.select(t).order_by(t.c.id)).all())


def test_pipeline_field_accepts_only_stage_names(sales: Api) -> None:
    refused = sales.post("deal", json={"name": "x", "stage": "closed"})
    assert refused.status_code == 422
    assert refused.json()["errors"]["stage"] == [
        "'closed' is not an option; choose one of: lead, qualify, proposal, won, lost."
    ]
    schema = sales.get("openapi.json").json()["components"]["schemas"]["Deal"]
    assert schema["properties"]["stage"]["enum"] == [
        "lead",
        "qualify",
        "proposal",
        "won",
        "lost",
        None,
    ]
    assert _deal(sales, stage="qualify")["stage"] == "qualify"


def test_stage_changes_write_history_rows(runtime: Runtime, sales: Api) -> None:
    deal = _deal(sales, stage="lead")
    unstaged = _deal(sales)
    url = f"deal/{deal['id']}"
    assert sales.patch(url, json={"amount": 10}).status_code == 200  # no stage change
    assert sales.patch(url, json={"stage": "proposal"}).status_code == 200
    assert sales.patch(url, json={"stage": "won"}).status_code == 200
    rows = _history_rows(runtime, "sales")
    assert [(r.record_id, r.field, r.stage) for r in rows] == [
        (deal["id"], "stage", "lead"),
        (deal["id"], "stage", "proposal"),
        (deal["id"], "stage", "won"),
    ]
    assert rows[0].left_at is not None and rows[0].left_at == rows[1].entered_at
    assert rows[1].left_at == rows[2].entered_at
    assert rows[2].left_at is None
    assert {r.user_id for r in rows} == {deal["created_by"]}
    assert sales.get(f"deal/{unstaged['id']}/_stages").json()["items"] == []

    body = sales.get(f"{url}/_stages").json()
    assert (body["entity"], body["id"]) == ("deal", deal["id"])
    assert [(i["stage"], i["left_at"] is None) for i in body["items"]] == [
        ("lead", False),
        ("proposal", False),
        ("won", True),
    ]
    first = body["items"][0]
    entered = datetime.fromisoformat(first["entered_at"])
    left = datetime.fromisoformat(first["left_at"])
    assert first["seconds"] == pytest.approx((left - entered).total_seconds())
    assert set(body["time_in_stage"]["stage"]) == {"lead", "proposal", "won"}

    assert sales.delete(url).status_code == 204
    assert _history_rows(runtime, "sales")[-1].left_at is not None
    assert sales.get(f"{url}/_stages").status_code == 404
    assert sales.get("deal/987654/_stages").status_code == 404


def test_time_in_stage_adds_up_repeated_stays(runtime: Runtime, sales: Api) -> None:
    deal = _deal(sales, stage="lead")
    for stage in ("proposal", "lead"):
        assert sales.patch(f"deal/{deal['id']}", json={"stage": stage}).status_code == 200
    app = runtime.app("sales")
    t = app.metadata.tables[STAGE_HISTORY_TABLE]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    stays = [
        (base, base + timedelta(hours=2)),
        (base + timedelta(hours=2), base + timedelta(hours=5)),
    ]
    stays.append((base + timedelta(hours=5), base + timedelta(hours=6)))
    with runtime.engines.tenant_connection("sales", write=True) as conn, conn.begin():
        ids = conn.execute(sa.select(t.c.id).order_by(t.c.id)).scalars().all()
        for row_id, (entered, left) in zip(ids, stays, strict=True):
            conn.execute(
                t.update().where(t.c.id == row_id).values(entered_at=entered, left_at=left)
            )
    body = sales.get(f"deal/{deal['id']}/_stages").json()
    assert [i["seconds"] for i in body["items"]] == [7200.0, 10800.0, 3600.0]
    assert body["time_in_stage"] == {"stage": {"lead": 10800.0, "proposal": 10800.0}}


def test_stage_report_counts_entries_stays_and_conversion(runtime: Runtime, sales: Api) -> None:
    one, two, three = (_deal(sales, stage="lead") for _ in range(3))
    for deal, path in (
        (one, ["qualify", "proposal", "won"]),
        (two, ["lost"]),
        (three, ["qualify"]),
    ):
        for stage in path:
            assert sales.patch(f"deal/{deal['id']}", json={"stage": stage}).status_code == 200
    report = sales.get("_stages", params={"pipeline": "sales"})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["pipeline"], body["entity"], body["field"]) == ("sales", "deal", "stage")
    stages = {s["stage"]: s for s in body["stages"]}
    assert [s["stage"] for s in body["stages"]] == ["lead", "qualify", "proposal", "won", "lost"]
    figures = {k: (v["entered"], v["current"], v["converted"]) for k, v in stages.items()}
    assert figures == {
        "lead": (3, 0, 2),
        "qualify": (2, 1, 1),
        "proposal": (1, 0, 1),
        "won": (1, 1, 0),
        "lost": (1, 1, 0),
    }
    assert stages["lead"]["conversion"] == pytest.approx(2 / 3, abs=1e-4)
    assert stages["qualify"]["conversion"] == 0.5
    assert stages["won"]["avg_seconds"] is None  # nobody left it yet
    assert stages["lead"]["avg_seconds"] >= 0
    assert stages["qualify"]["label"] == "Qualified"
    assert stages["qualify"]["probability"] == "12.5"
    assert sales.get("_stages", params={"pipeline": "nope"}).status_code == 400


def test_weighted_forecast_by_close_month(sales: Api) -> None:
    _deal(sales, stage="lead", amount="1000", close_date="2026-11-05")  # 100.00
    _deal(sales, stage="proposal", amount="2500.50", close_date="2026-11-20")  # 1250.25
    _deal(sales, stage="won", amount="400", close_date="2026-12-01")  # 400.00
    _deal(sales, stage="qualify", amount="33.33", close_date="2026-12-31")  # 4.16625
    _deal(sales, stage="lost", amount="9999", close_date="2026-11-10")  # lost: left out
    _deal(sales, stage="proposal", amount="300")  # no close date: left out
    _deal(sales, amount="300", close_date="2026-11-10")  # no stage: left out
    gone = _deal(sales, stage="lead", amount="100", close_date="2027-01-15")
    assert sales.delete(f"deal/{gone['id']}").status_code == 204
    response = sales.get("_forecast", params={"pipeline": "sales"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "pipeline": "sales",
        "entity": "deal",
        "field": "stage",
        "amount": "amount",
        "date": "close_date",
        "months": [
            {"month": "2026-11", "amount": "3500.50", "weighted": "1350.25", "count": 2},
            {"month": "2026-12", "amount": "433.33", "weighted": "404.17", "count": 2},
        ],
        "total": {"amount": "3933.83", "weighted": "1754.42", "count": 4},
    }
    december = sales.get("_forecast", params={"from": "2026-12", "to": "2026-12"}).json()
    assert [m["month"] for m in december["months"]] == ["2026-12"]
    november = sales.get("_forecast", params={"to": "2026-11"}).json()
    assert [m["month"] for m in november["months"]] == ["2026-11"]


def test_forecast_by_a_datetime_field_and_another_amount(sales: Api) -> None:
    _deal(sales, stage="proposal", seats=7, won_on="2026-03-31T23:30:00-02:00")  # April UTC
    _deal(sales, stage="lead", seats=10, won_on="2026-03-01T08:00:00Z")
    body = sales.get("_forecast", params={"amount": "seats", "date": "won_on"}).json()
    assert body["months"] == [
        {"month": "2026-03", "amount": "10.00", "weighted": "1.00", "count": 1},
        {"month": "2026-04", "amount": "7.00", "weighted": "3.50", "count": 1},
    ]


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"pipeline": "nope"}, "pipeline"),
        ({"entity": "nope"}, "entity"),
        ({"field": "name"}, "field"),
        ({"amount": "name"}, "amount"),
        ({"amount": "missing"}, "amount"),
        ({"date": "amount"}, "date"),
        ({"from": "2026-13"}, "from"),
        ({"to": "soon"}, "to"),
        ({"from": "0000-01"}, "from"),  # year 0 is no date (was a 500)
        ({"to": "9999-12"}, "to"),  # its next month is no date (was a 500)
        ({"to": "2026-01\n"}, "to"),
    ],
)
def test_forecast_rejects_bad_parameters(sales: Api, params: dict[str, str], bad: str) -> None:
    response = sales.get("_forecast", params=params)
    assert response.status_code == 400, response.text
    assert bad in response.json()["errors"]


def test_forecast_accepts_the_first_and_last_months_it_can_bound(sales: Api) -> None:
    _deal(sales, stage="proposal", amount="100", close_date="2026-11-02")
    body = sales.get("_forecast", params={"date": "won_on", "from": "0001-01", "to": "9998-12"})
    assert body.status_code == 200, body.text
    whole = sales.get("_forecast", params={"from": "0001-01", "to": "9998-12"})
    assert [m["month"] for m in whole.json()["months"]] == ["2026-11"]


def test_forecast_needs_a_token(sales: Api) -> None:
    assert sales.client.get("/t/sales/api/_forecast").status_code == 401
    assert sales.client.get("/t/sales/api/_stages").status_code == 401


def test_crm_deal_pipeline(runtime: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    create_tenant(runtime, "crm-sales", "crm", "boss@crm.test", "long enough secret")
    api = Api(client, "crm-sales", runtime.registry.create_token("crm-sales", "boss@crm.test"))
    account = api.post("account", json={"name": "Acme"}).json()
    for amount, stage, close in (
        ("1000", "negotiation", "2026-11-30"),
        ("500", None, "2026-11-02"),
    ):
        values = {"name": "Deal", "account": account["id"], "amount": amount, "close_date": close}
        if stage:
            values["stage"] = stage
        created = api.post("opportunity", json=values)
        assert created.status_code == 201, created.text
    assert created.json()["stage"] == "prospecting"  # the default stage
    history = api.get(f"opportunity/{created.json()['id']}/_stages").json()["items"]
    assert [i["stage"] for i in history] == ["prospecting"]
    body = api.get("_forecast", params={"pipeline": "deal"}).json()
    assert (body["entity"], body["amount"], body["date"]) == ("opportunity", "amount", "close_date")
    assert body["months"] == [
        {"month": "2026-11", "amount": "1500.00", "weighted": "800.00", "count": 2}
    ]
