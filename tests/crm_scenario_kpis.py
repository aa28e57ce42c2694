"""The retention, forecast and campaign ROI part of the CRM scenario test.

The scenario (tests/e2e/test_crm_scenario.py) adds what those tiles need: two campaigns
(the deal is attributed to one before it is won), the rep's quotas and a second, open
deal, an older order of the customer and another account whose orders stopped. The
figures the tiles should show are computed here from the rows the scenario created,
with plain SQL and Python, the definitions written out (not read from the dashboards).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from crm_scenario_support import MADRID, World, figure

#: Orders in these states are not purchases (the retention tile leaves them out).
NOT_ORDERED = ("draft", "cancelled")


def _ok(answer: Any, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    return dict(answer.json())


def _today(w: World) -> date:
    """The day the dashboards count from (the clock's day in Madrid, the app's zone)."""
    return w.clock.now().astimezone(MADRID).date()


def attribute_to_campaign(w: World, deal: dict[str, Any]) -> None:
    """Two campaigns with their actual costs; the deal came from the spring webinar."""
    admin = w.api("boss@crm.test")
    webinar = {"name": "Spring webinar", "channel": "webinar", "status": "active",
               "start_date": "2027-02-01", "budget": "500", "actual_cost": "400"}  # fmt: skip
    fair = {"name": "Trade fair", "channel": "event", "status": "completed",
            "start_date": "2027-01-15", "actual_cost": "200"}  # fmt: skip
    spring = _ok(admin.post("campaign", json=webinar), 201)
    _ok(admin.post("campaign", json=fair), 201)
    _ok(w.api("rep@crm.test").patch(f"opportunity/{deal['id']}", json={"campaign": spring["id"]}))


def forecast_and_history(w: World, deal: dict[str, Any]) -> None:
    """The rep's quotas for March and April, a second deal still open, the order of the
    won deal confirmed, the customer's order of last year, and an account that ordered
    last year only (this year's order was cancelled)."""
    admin, rep = w.api("boss@crm.test"), w.api("rep@crm.test")
    owner = w.users["rep@crm.test"]
    for month, amount in (("2027-03-01", "2000"), ("2027-04-01", "1000")):
        quota = {"owner_id": owner, "month": month, "amount": amount, "name": f"Rep {month}"}
        _ok(admin.post("quota", json=quota), 201)
    initech = _ok(admin.post("account", json={"name": "Initech"}), 201)
    open_deal = {"name": "Initech expansion", "account": initech["id"], "amount": "1000",
                 "stage": "proposal", "close_date": "2027-04-30"}  # fmt: skip
    _ok(rep.post("opportunity", json=open_deal), 201)
    (order,) = _ok(admin.get("sales_order", params={"filter": f"opportunity == {deal['id']}"}))[
        "items"
    ]
    _ok(admin.patch(f"sales_order/{order['id']}", json={"status": "confirmed"}))
    today = _today(w)
    history = (
        (deal["account"], today - timedelta(days=400), "paid"),
        (initech["id"], today - timedelta(days=500), "shipped"),
        (initech["id"], today - timedelta(days=30), "cancelled"),
    )
    for account, day, status in history:
        past = {"account": account, "order_date": day.isoformat(), "status": status}
        _ok(admin.post("sales_order", json=past), 201)


def _accounts(w: World, today: date, newest: int, oldest: int) -> set[int]:
    """Accounts with a live order (not draft or cancelled) from ``oldest`` days ago
    (excluded) to ``newest`` days ago (included)."""
    found = w.sql("SELECT account, order_date, status FROM {t}sales_order WHERE deleted_at IS NULL")
    low, high = today - timedelta(days=oldest), today - timedelta(days=newest)
    return {
        int(account)
        for account, day, status in found
        if status not in NOT_ORDERED and low < date.fromisoformat(str(day)[:10]) <= high
    }


def _sum(w: World, column: str, table: str, where: str) -> Decimal:
    """``SUM(column)`` of ``table``'s rows matching ``where`` (0 when none)."""
    total = w.scalar(f"SELECT COALESCE(SUM({column}), 0) FROM {{t}}{table} WHERE {where}")
    return Decimal(str(total))


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return part * 100 / whole if whole else None


def expected_more_kpis(w: World) -> dict[tuple[str, str], str]:
    """Retention, forecast and campaign ROI as the scenario's rows imply them."""
    one = w.scalar
    live = "deleted_at IS NULL"
    won = _sum(w, "amount", "opportunity", f"stage = 'won' AND {live}")
    attributed = Decimal(str(one(
        "SELECT COALESCE(SUM(o.amount), 0) FROM {t}opportunity o JOIN {t}campaign c"
        f" ON c.id = o.campaign WHERE o.stage = 'won' AND o.{live} AND c.{live}"
    )))  # fmt: skip
    cost = _sum(w, "actual_cost", "campaign", live)
    quota = _sum(w, "amount", "quota", live)
    open_deals = w.sql(
        f"SELECT amount, stage FROM {{t}}opportunity WHERE stage NOT IN ('won', 'lost') AND {live}"
    )
    chance = {"prospecting": 10, "qualification": 20, "proposal": 50, "negotiation": 75}
    weighted = sum(
        (Decimal(str(amount)) * chance[stage] / 100 for amount, stage in open_deals), Decimal(0)
    )
    today = _today(w)
    earlier = _accounts(w, today, 365, 730)
    again = earlier & _accounts(w, today, 0, 365)
    return {
        ("marketing", "Campaign ROI"): figure(_percent(attributed - cost, cost), "percent"),
        ("forecast", "Weighted forecast"): figure(weighted, "money"),
        ("forecast", "Total quota"): figure(quota, "money"),
        ("forecast", "Quota attainment"): figure(_percent(won, quota), "percent"),
        ("sales", "Customer retention"): figure(
            _percent(Decimal(len(again)), Decimal(len(earlier))), "percent"
        ),
    }


__all__ = ["attribute_to_campaign", "expected_more_kpis", "forecast_and_history"]
