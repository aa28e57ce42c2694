"""The CRM dashboards' KPIs equal the figures plain SQL gives over a small tenant's data.

Each KPI tile of seed/crm/dashboards (ratios included) is computed by the platform and
compared with a hand-written query over the tenant's tables, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from trellis.platform.dashboards import TileData, compute_dashboard
from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.rules.expr import EvalContext

from ui_support import crm_tenant

_CENT = Decimal("0.0001")


class Tenant:
    """Tenant 'acme' from the CRM template, filled by its admin."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.api = Services(runtime)
        crm_tenant(runtime)
        self.admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
        identity = runtime.registry.member_identity("acme", self.admin)
        assert identity is not None
        self.call = self.api.call_as("acme", identity)

    def create(self, entity: str, **data: Any) -> int:
        result = self.api.records.create(self.call, self.call.app.entities[entity], data)
        body: dict[str, Any] = json.loads(encode(result.record))
        assert "id" in body, body
        return int(body["id"])

    def table(self, entity: str) -> str:
        name = self.call.app.entities[entity].table.name
        schema = self.runtime.engines.tenant_schema("acme")
        return f'"{schema}"."{name}"' if schema else f'"{name}"'

    def sql(self, text: str) -> Any:
        """The one value of plain SQL ``text``; ``{entity}`` names a table."""
        names = {e: self.table(e) for e in self.call.app.entities}
        with self.runtime.engines.tenant_connection("acme") as conn:
            return conn.execute(sa.text(text.format(**names))).scalar()

    def set(self, entity: str, record: int, **values: Any) -> None:
        """Set columns the workflow moves (statuses), as a finished flow leaves them."""
        t = self.call.app.entities[entity].table
        with self.runtime.engines.tenant_connection("acme") as conn:
            conn.execute(sa.update(t).where(t.c.id == record).values(**values))
            conn.commit()

    def tiles(self, dashboard: str) -> dict[str, TileData]:
        ectx = EvalContext(now=datetime.now(UTC), user_id=self.admin)
        board = self.call.app.model.dashboards[dashboard]
        with self.runtime.engines.tenant_connection("acme") as conn:
            found = compute_dashboard(conn, self.call.access, board, ectx, user_names={})
        return {str(t.tile.label): t for t in found}


def _same(value: Decimal | None, expected: Any) -> None:
    assert value is not None and expected is not None
    assert value.quantize(_CENT, ROUND_HALF_UP) == Decimal(str(expected)).quantize(
        _CENT, ROUND_HALF_UP
    )


def _days_ahead(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


@pytest.fixture
def acme(runtime: Runtime) -> Tenant:
    tenant = Tenant(runtime)
    account = tenant.create("account", name="Big Co")
    spring = tenant.create("campaign", name="Spring", actual_cost="1000")
    tenant.create("campaign", name="Fair", actual_cost="500")
    deals = [
        ("1000", "prospecting", "2026-05-10", None),
        ("500", "proposal", "2026-05-20", None),
        ("800", "negotiation", "2026-06-03", None),
        ("2000", "won", _days_ahead(12), spring),
        ("300", "won", _days_ahead(45), None),
        ("700", "lost", "2026-02-10", None),
    ]
    for amount, stage, close, campaign in deals:
        data = {"name": f"{stage} {amount}", "account": account, "amount": amount}
        data.update(stage=stage, close_date=close)
        if campaign is not None:
            data["campaign"] = campaign
        tenant.create("opportunity", **data)
    tenant.create("quota", name="Jan", month="2026-01-01", amount="1500")
    tenant.create("quota", name="Feb", month="2026-02-01", amount="2500")
    for source, status in (("web", "converted"), ("web", "new"), ("event", "converted"),
                           ("referral", "disqualified"), ("web", "working")):  # fmt: skip
        lead = tenant.create("lead", last_name=f"Lead {status}", source=source)
        tenant.set("lead", lead, status=status)
    tickets = [
        # priority, status, first response, resolved, breached, rating, nps
        ("urgent", "open", "2026-03-01T11:00:00Z", None, False, None, None),
        ("low", "new", None, None, False, None, None),
        ("high", "resolved", "2026-03-01T13:00:00Z", "2026-03-02T10:00:00Z", False, 5, 10),
        ("normal", "closed", "2026-03-01T10:30:00Z", "2026-03-01T16:00:00Z", True, 2, 3),
        ("normal", "resolved", "2026-03-01T18:00:00Z", "2026-03-04T10:00:00Z", False, 4, 8),
        ("urgent", "pending", "2026-03-01T10:15:00Z", None, False, None, None),
    ]
    for priority, status, response, resolved, breached, rating, nps in tickets:
        data = {"subject": f"{priority} {status}", "priority": priority}
        data.update(opened_at="2026-03-01T10:00:00Z", sla_breached=breached)
        optional = {"first_response_at": response, "resolved_at": resolved}
        data.update({k: v for k, v in optional.items() if v is not None})
        if rating is not None:
            data.update(survey_rating=rating, survey_nps=nps)
        ticket = tenant.create("ticket", **data)
        tenant.set("ticket", ticket, status=status)
    return tenant


def test_sales_kpis_equal_plain_sql(acme: Tenant) -> None:
    tiles = acme.tiles("sales")
    weighted = {g.key: g.value for g in tiles["Weighted pipeline by stage"].groups}
    for stage in ("prospecting", "proposal", "negotiation"):
        expected = acme.sql(
            "SELECT sum(expected_revenue) FROM {opportunity} "
            f"WHERE deleted_at IS NULL AND stage = '{stage}'"
        )
        _same(weighted[stage], expected)
    assert weighted["prospecting"] == Decimal(100)  # 1000 at 10%
    win_rate = acme.sql(
        "SELECT 100.0 * sum(CASE WHEN stage = 'won' THEN 1 ELSE 0 END) / count(*) "
        "FROM {opportunity} WHERE deleted_at IS NULL AND stage IN ('won', 'lost')"
    )
    _same(tiles["Win rate"].value, win_rate)
    cycle = acme.sql(
        "SELECT avg(" + _days_sql(acme) + ") FROM {opportunity} "
        "WHERE deleted_at IS NULL AND stage = 'won'"
    )
    _same(tiles["Sales cycle (days)"].value, cycle)
    assert Decimal(28) <= tiles["Sales cycle (days)"].value <= Decimal(29)  # type: ignore[operator]


def _days_sql(acme: Tenant) -> str:
    if acme.runtime.engines.system.dialect.name == "postgresql":
        return "close_date - CAST(created_at AS DATE)"
    return "julianday(close_date) - julianday(date(created_at))"


def _hours_sql(acme: Tenant, end: str) -> str:
    if acme.runtime.engines.system.dialect.name == "postgresql":
        return f"EXTRACT(EPOCH FROM ({end} - opened_at)) / 3600"
    return f"(julianday({end}) - julianday(opened_at)) * 24"


def test_support_kpis_equal_plain_sql(acme: Tenant) -> None:
    tiles = acme.tiles("support")
    open_by_priority = {g.key: g.value for g in tiles["Open tickets by priority"].groups}
    for priority in ("low", "normal", "high", "urgent"):
        expected = acme.sql(
            "SELECT count(*) FROM {ticket} WHERE deleted_at IS NULL "
            f"AND priority = '{priority}' AND status IN ('new', 'open', 'pending')"
        )
        assert open_by_priority[priority] == expected
    assert open_by_priority["urgent"] == 2
    for label, end in (("First response (hours)", "first_response_at"),
                       ("Resolution time (hours)", "resolved_at")):  # fmt: skip
        expected = acme.sql(
            f"SELECT avg({_hours_sql(acme, end)}) FROM {{ticket}} WHERE deleted_at IS NULL"
        )
        _same(tiles[label].value, expected)
    sla = acme.sql(
        "SELECT 100.0 * sum(CASE WHEN sla_breached THEN 0 ELSE 1 END) / count(*) FROM {ticket} "
        "WHERE deleted_at IS NULL AND status IN ('resolved', 'closed')"
    )
    _same(tiles["SLA compliance"].value, sla)
    csat = acme.sql(
        "SELECT 100.0 * sum(CASE WHEN survey_rating >= 4 THEN 1 ELSE 0 END) / count(*) "
        "FROM {ticket} WHERE deleted_at IS NULL AND survey_rating IS NOT NULL"
    )
    _same(tiles["CSAT"].value, csat)
    nps = acme.sql(
        "SELECT 100.0 * (sum(CASE WHEN survey_nps >= 9 THEN 1 ELSE 0 END)"
        " - sum(CASE WHEN survey_nps <= 6 THEN 1 ELSE 0 END)) / count(*) "
        "FROM {ticket} WHERE deleted_at IS NULL AND survey_nps IS NOT NULL"
    )
    _same(tiles["NPS"].value, nps)
    assert tiles["NPS"].value == 0  # one promoter, one detractor, one passive


def test_marketing_kpis_equal_plain_sql(acme: Tenant) -> None:
    tiles = acme.tiles("marketing")
    conversion = acme.sql(
        "SELECT 100.0 * sum(CASE WHEN status = 'converted' THEN 1 ELSE 0 END) / count(*) "
        "FROM {lead} WHERE deleted_at IS NULL"
    )
    _same(tiles["Lead to opportunity conversion"].value, conversion)
    roi = acme.sql(
        "SELECT 100.0 * (sum(won_revenue) - sum(actual_cost)) / sum(actual_cost) "
        "FROM {campaign} WHERE deleted_at IS NULL"
    )
    _same(tiles["Campaign ROI"].value, roi)
    assert tiles["Campaign ROI"].value == Decimal("100") * (2000 - 1500) / 1500
    by_source = {g.key: g.value for g in tiles["Leads by source"].groups}
    expected = acme.sql("SELECT count(*) FROM {lead} WHERE deleted_at IS NULL AND source = 'web'")
    assert by_source["web"] == expected == 3


def test_forecast_kpis_equal_plain_sql(acme: Tenant) -> None:
    tiles = acme.tiles("forecast")
    compared = tiles["Forecast vs quota"]  # one chart: forecast and quota by month
    assert compared.compare is not None
    forecast = {g.key: g.value for g in compared.groups}
    for month in ("2026-05", "2026-06"):
        expected = acme.sql(
            "SELECT sum(expected_revenue) FROM {opportunity} WHERE deleted_at IS NULL "
            "AND stage NOT IN ('won', 'lost') "
            f"AND CAST(close_date AS TEXT) LIKE '{month}-%'"
        )
        _same(forecast[f"{month}-01"], expected)
    quota = {g.key: g.value for g in compared.compare.groups}
    assert quota == {"2026-01-01": Decimal(1500), "2026-02-01": Decimal(2500)}
    attainment = acme.sql(
        "SELECT 100.0 * (SELECT sum(amount) FROM {opportunity} "
        "WHERE deleted_at IS NULL AND stage = 'won') / sum(amount) "
        "FROM {quota} WHERE deleted_at IS NULL"
    )
    _same(tiles["Quota attainment"].value, attainment)
    _same(tiles["Weighted forecast"].value, acme.sql(
        "SELECT sum(expected_revenue) FROM {opportunity} "
        "WHERE deleted_at IS NULL AND stage NOT IN ('won', 'lost')"
    ))  # fmt: skip
