"""The CRM's customer retention KPI (seed/crm/dashboards/sales.yaml: a ratio of accounts
``having`` orders in two periods) equals plain SQL, on SQLite and PostgreSQL; a role
that cannot read orders gets no figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_dashboard_kpis import Tenant, _same

from trellis.platform.dashboards import compute_tile
from trellis.platform.runtime import Runtime
from trellis.rules.expr import EvalContext

from ui_support import add_user

RETENTION = "Customer retention"


def _day(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_retention_counts_accounts_ordering_in_both_periods(runtime: Runtime) -> None:
    acme = Tenant(runtime)
    orders = {
        "kept": [(-400, "paid"), (-100, "shipped")],
        "kept late": [(-700, "invoiced"), (-200, "paid")],
        "lost": [(-500, "paid")],
        "new": [(-50, "paid")],
        "cancelled before": [(-400, "cancelled"), (-30, "paid")],
        "too old": [(-800, "paid"), (-20, "paid")],
        "draft only": [(-400, "draft"), (-10, "draft")],
    }
    for name, placed in orders.items():
        account = acme.create("account", name=name)
        for days, status in placed:
            order = acme.create("sales_order", account=account, order_date=_day(days))
            acme.set("sales_order", order, status=status)
    prior = f"o.order_date > '{_day(-730)}' and o.order_date <= '{_day(-365)}'"
    last = f"o.order_date > '{_day(-365)}' and o.order_date <= '{_day(0)}'"
    counted = "o.account = a.id and o.deleted_at is null and o.status not in ('draft', 'cancelled')"

    def having(period: str) -> str:
        return f"exists (select 1 from {{sales_order}} o where {counted} and {period})"

    base = "select count(*) from {account} a where a.deleted_at is null"
    before = acme.sql(f"{base} and {having(prior)}")
    both = acme.sql(f"{base} and {having(prior)} and {having(last)}")
    assert (both, before) == (2, 3)
    tile = acme.tiles("sales")[RETENTION]
    assert tile.unavailable is None
    _same(tile.value, 100 * both / before)


def test_a_role_that_cannot_read_orders_gets_no_retention_figure(runtime: Runtime) -> None:
    acme = Tenant(runtime)
    user = add_user(runtime, "acme", "marketing@acme.test", ["marketing"])
    identity = runtime.registry.member_identity("acme", user)
    assert identity is not None
    call = acme.api.call_as("acme", identity)
    assert call.access.can("account", "read") and not call.access.can("sales_order", "read")
    board = call.app.model.dashboards["sales"]
    tile = next(t for t in board.tiles if t.label == RETENTION)
    ectx = EvalContext(now=datetime.now(UTC), user_id=user)
    with runtime.engines.tenant_connection("acme") as conn:
        found = compute_tile(conn, call.access, tile, ectx)
    assert found.value is None and found.unavailable is not None
