"""Dashboard tiles computed in SQL through the caller's access (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from trellis.metadata.model import TileDef
from trellis.platform.authz.call import Call
from trellis.platform.dashboards import TileData, compute_dashboard, compute_tile
from trellis.platform.dashboards import readable_dashboards as readable
from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.rules.expr import EvalContext

from ui_support import add_user, crm_tenant

Create = Callable[..., dict[str, Any]]


class Tenant:
    """Tenant 'acme' from the CRM template with an admin and two sales reps."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.api = Services(runtime)
        crm_tenant(runtime)
        self.admin = runtime.registry.ensure_user("admin@acme.test", "correct horse battery")
        self.rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
        self.other = add_user(runtime, "acme", "other@acme.test", ["sales_rep"])
        self.agent = add_user(runtime, "acme", "agent@acme.test", ["support_agent"])

    def call(self, user: int) -> Call:
        identity = self.runtime.registry.member_identity("acme", user)
        assert identity is not None
        return self.api.call_as("acme", identity)

    def create(self, user: int, entity: str, **data: Any) -> dict[str, Any]:
        call = self.call(user)
        result = self.api.records.create(call, call.app.entities[entity], data)
        body: dict[str, Any] = json.loads(encode(result.record))
        return body

    def tiles(self, user: int, dashboard: str) -> list[TileData]:
        call = self.call(user)
        ectx = EvalContext(now=datetime.now(UTC), user_id=user)
        with self.runtime.engines.tenant_connection("acme") as conn:
            return compute_dashboard(
                conn, call.access, call.app.model.dashboards[dashboard], ectx, user_names={}
            )

    def tile(self, user: int, tile: TileDef, names: dict[int, str] | None = None) -> TileData:
        call = self.call(user)
        ectx = EvalContext(now=datetime.now(UTC), user_id=user)
        with self.runtime.engines.tenant_connection("acme") as conn:
            return compute_tile(conn, call.access, tile, ectx, user_names=names)


@pytest.fixture
def acme(runtime: Runtime) -> Tenant:
    tenant = Tenant(runtime)
    big = tenant.create(tenant.admin, "account", name="Big Co")["id"]
    small = tenant.create(tenant.admin, "account", name="Small Co")["id"]
    deals = [
        (tenant.rep, big, "1000", "prospecting", None),
        (tenant.rep, small, "500", "proposal", None),
        (tenant.rep, big, "2000", "won", "2026-01-15"),
        (tenant.other, small, "300", "won", "2026-03-02"),
        (tenant.other, big, "700", "lost", "2026-02-10"),
        (tenant.other, small, "400", "qualification", None),
    ]
    for owner, account, amount, stage, close in deals:
        data = {"name": f"{stage} {amount}", "account": account, "amount": amount, "stage": stage}
        if close:
            data["close_date"] = close
        tenant.create(owner, "opportunity", **data)
    tenant.create(
        tenant.rep, "activity", subject="Call", kind="call", due_at="2026-11-23T10:00:00Z"
    )
    tenant.create(
        tenant.rep, "activity", subject="Mail", kind="email", due_at="2026-11-29T23:30:00Z"
    )
    tenant.create(tenant.other, "activity", subject="Meet", kind="meeting", done=True)
    tenant.create(tenant.agent, "ticket", subject="Broken", priority="urgent")
    tenant.create(tenant.agent, "ticket", subject="Slow", priority="low")
    return tenant


def _values(data: TileData) -> dict[Any, Decimal]:
    return {g.key: g.value for g in data.groups}


def test_admin_sees_every_record(acme: Tenant) -> None:
    tiles = {t.tile.label: t for t in acme.tiles(acme.admin, "sales")}
    assert tiles["Open pipeline"].value == Decimal("1900")
    assert tiles["Open deals"].value == Decimal(3)
    assert tiles["Won revenue"].value == Decimal("2300")
    by_stage = tiles["Deals by stage"]
    assert [g.key for g in by_stage.groups] == [
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    assert [g.label for g in by_stage.groups][:2] == ["Prospecting", "Qualification"]
    assert [int(g.value) for g in by_stage.groups] == [1, 1, 1, 0, 2, 1]
    won = tiles["Won by month"]
    assert [(g.key, g.label, g.value) for g in won.groups] == [
        ("2026-01-01", "Jan 2026", Decimal("2000")),
        ("2026-02-01", "Feb 2026", Decimal(0)),  # the gap is filled
        ("2026-03-01", "Mar 2026", Decimal("300")),
    ]
    funnel = tiles["Funnel"]
    assert [(g.key, int(g.value)) for g in funnel.groups] == [
        ("prospecting", 5),
        ("qualification", 4),
        ("proposal", 3),
        ("negotiation", 2),
        ("won", 2),
    ]
    activities = tiles["Open activities by kind"]
    assert _values(activities) == {
        "task": 0,
        "call": 1,
        "meeting": 0,
        "email": 1,
    }


def test_a_sales_rep_counts_only_their_own_records(acme: Tenant) -> None:
    tiles = {t.tile.label: t for t in acme.tiles(acme.rep, "sales")}
    assert tiles["Open pipeline"].value == Decimal("1500")
    assert tiles["Open deals"].value == Decimal(2)
    assert tiles["Won revenue"].value == Decimal("2000")
    assert [int(g.value) for g in tiles["Deals by stage"].groups] == [1, 0, 1, 0, 1, 0]
    assert [g.key for g in tiles["Won by month"].groups] == ["2026-01-01"]
    other = {t.tile.label: t for t in acme.tiles(acme.other, "sales")}
    assert other["Open pipeline"].value == Decimal("400")
    assert other["Open activities by kind"].total == 0


def test_tiles_on_entities_the_role_cannot_read_are_unavailable(acme: Tenant) -> None:
    (ticket_tile, *_) = acme.tiles(acme.rep, "support")
    assert ticket_tile.value is None
    assert ticket_tile.unavailable == "Your role cannot see tickets."
    assert [d.name for d in readable(acme.call(acme.rep).access)] == [
        "forecast",
        "marketing",
        "sales",
    ]
    # Support agents read deals without their amounts: counts, no sums.
    agent = [d.name for d in readable(acme.call(acme.agent).access)]
    assert agent == ["forecast", "sales", "support"]
    sales = {t.tile.label: t for t in acme.tiles(acme.agent, "sales")}
    assert sales["Open pipeline"].value is None and sales["Open pipeline"].unavailable
    assert sales["Open deals"].value is not None
    admin = [d.name for d in readable(acme.call(acme.admin).access)]
    assert admin == ["forecast", "marketing", "sales", "support"]
    support = {t.tile.label: t for t in acme.tiles(acme.agent, "support")}
    assert support["Open tickets"].value == Decimal(2)
    assert _values(support["Tickets by priority"]) == {
        "low": 1,
        "normal": 0,
        "high": 0,
        "urgent": 1,
    }


def test_hidden_fields_make_a_tile_unavailable(acme: Tenant) -> None:
    base = TileDef(kind="kpi", label="Won", entity="account", agg="sum", field="won_value")
    assert acme.tile(acme.admin, base).value == Decimal("2300")
    assert acme.tile(acme.rep, base).unavailable == "Your role cannot see Won revenue."
    where = replace(base, field=None, agg="count", where="won_value > 0")
    assert acme.tile(acme.admin, where).value == Decimal(2)
    refused = acme.tile(acme.rep, where)
    assert refused.unavailable == "Your role cannot see a field this tile filters on."
    grouped = replace(base, kind="bar", agg="count", field=None, group_by="annual_revenue")
    assert acme.tile(acme.rep, grouped).unavailable == "Your role cannot see Annual revenue."


def test_restricted_rollups_make_a_tile_unavailable(acme: Tenant) -> None:
    # A rep's scope on opportunities is `own`: the accounts' pipeline sums are restricted.
    base = TileDef(kind="kpi", label="P", entity="account", agg="sum", field="pipeline_value")
    assert acme.tile(acme.admin, base).value == Decimal("1900")
    assert acme.tile(acme.rep, base).unavailable == "Your role cannot see Open pipeline."
    where = replace(base, field=None, agg="count", where="open_deals > 0")
    assert acme.tile(acme.admin, where).value == Decimal(2)
    refused = acme.tile(acme.rep, where)
    assert refused.unavailable == "Your role cannot see a field this tile filters on."
    grouped = replace(base, kind="bar", agg="count", field=None, group_by="open_deals")
    assert acme.tile(acme.rep, grouped).unavailable == "Your role cannot see Open deals."


def test_groups_by_reference_show_titles_and_by_user_show_names(acme: Tenant) -> None:
    by_account = TileDef(
        kind="bar", label="A", entity="opportunity", agg="sum", field="amount", group_by="account"
    )
    data = acme.tile(acme.admin, by_account)
    assert [(g.label, g.value) for g in data.groups] == [
        ("Big Co", Decimal("3700")),
        ("Small Co", Decimal("1200")),
    ]
    by_owner = replace(by_account, group_by="owner_id", agg="count", field=None)
    names = {acme.rep: "Rep", acme.other: "Other"}
    assert {g.label: int(g.value) for g in acme.tile(acme.admin, by_owner, names).groups} == {
        "Rep": 3,
        "Other": 3,
    }


@pytest.mark.parametrize(
    ("agg", "expected"),
    [("avg", Decimal("840")), ("min", Decimal("300")), ("max", Decimal("2000"))],
)
def test_average_minimum_and_maximum(acme: Tenant, agg: str, expected: Decimal) -> None:
    tile = TileDef(kind="kpi", label="A", entity="opportunity", agg=agg, field="amount")
    value = acme.tile(acme.admin, replace(tile, where="not stage.lost")).value
    assert value is not None
    assert value.quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))


def test_empty_sets(acme: Tenant) -> None:
    tile = TileDef(kind="kpi", label="A", entity="opportunity", agg="sum", field="amount")
    nothing = 'name == "no such deal"'
    assert acme.tile(acme.admin, replace(tile, where=nothing)).value == Decimal(0)
    assert acme.tile(acme.admin, replace(tile, agg="avg", where=nothing)).value is None
    counted = replace(tile, agg="count", field=None, where=nothing)
    assert acme.tile(acme.admin, counted).value == Decimal(0)


@pytest.mark.parametrize(
    ("bucket", "keys"),
    [
        ("day", ["2026-01-15", "2026-02-10", "2026-03-02"]),
        ("week", ["2026-01-12", "2026-02-09", "2026-03-02"]),
        ("month", ["2026-01-01", "2026-02-01", "2026-03-01"]),
        ("quarter", ["2026-01-01"]),
        ("year", ["2026-01-01"]),
    ],
)
def test_time_buckets_of_a_date(acme: Tenant, bucket: str, keys: list[str]) -> None:
    tile = TileDef(
        kind="bar",
        label="A",
        entity="opportunity",
        agg="avg",  # not additive: no gap filling, only buckets that hold records
        field="amount",
        group_by="close_date",
        bucket=bucket,
    )
    assert [g.key for g in acme.tile(acme.admin, tile).groups] == keys


def test_time_buckets_of_a_datetime_are_utc_weeks_from_monday(acme: Tenant) -> None:
    tile = TileDef(
        kind="line",
        label="A",
        entity="activity",
        agg="count",
        group_by="due_at",
        bucket="week",
    )
    data = acme.tile(acme.admin, tile)
    # Monday 23 and Sunday 29 November 2026 (23:30 UTC) fall in one week.
    assert [(g.key, g.label, int(g.value)) for g in data.groups] == [
        ("2026-11-23", "Week of 23 Nov 2026", 2)
    ]
    quarter = acme.tile(acme.admin, replace(tile, bucket="quarter"))
    assert [(g.key, g.label) for g in quarter.groups] == [("2026-10-01", "Q4 2026")]
