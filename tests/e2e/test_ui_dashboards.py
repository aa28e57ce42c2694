"""Dashboard screens: the index, KPI tiles and SVG charts, scope, access and CSP-safe markup."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.records.views import encode
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.ui.screens.app import create_web_app

from ui_support import PASSWORD, add_user, crm_tenant, sign_in


class Acme:
    """Tenant 'acme' from the CRM template: an admin, two sales reps and a support agent."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.api = Services(runtime)
        crm_tenant(runtime)
        self.admin = runtime.registry.ensure_user("admin@acme.test", PASSWORD)
        self.rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
        self.other = add_user(runtime, "acme", "other@acme.test", ["sales_rep"])
        self.agent = add_user(runtime, "acme", "agent@acme.test", ["support_agent"])

    def create(self, user: int, entity: str, **data: Any) -> dict[str, Any]:
        identity = self.runtime.registry.member_identity("acme", user)
        assert identity is not None
        call = self.api.call_as("acme", identity)
        body: dict[str, Any] = json.loads(
            encode(self.api.records.create(call, call.app.entities[entity], data).record)
        )
        return body


@pytest.fixture
def acme(runtime: Runtime) -> Iterator[tuple[Acme, TestClient[Any]]]:
    tenant = Acme(runtime)
    account = tenant.create(tenant.admin, "account", name="Big Co")["id"]
    for owner, amount, stage, close in (
        (tenant.rep, "1000", "prospecting", None),
        (tenant.rep, "2000", "won", "2026-01-15"),
        (tenant.other, "300", "won", "2026-03-02"),
        (tenant.other, "400", "negotiation", None),
    ):
        data = {"name": f"Deal {amount}", "account": account, "amount": amount, "stage": stage}
        if close:
            data["close_date"] = close
        tenant.create(owner, "opportunity", **data)
    tenant.create(tenant.rep, "activity", subject="Call <Big Co>", kind="call")
    tenant.create(tenant.agent, "ticket", subject="Broken", priority="urgent")
    with TestClient(app=create_web_app(runtime)) as client:
        yield tenant, client


def kpi(html: str, label: str) -> str:
    """The value shown on the KPI tile ``label``."""
    found = re.search(
        rf'<h2 class="kpi-label">{re.escape(label)}</h2>\s*<p class="kpi-value">([^<]*)</p>', html
    )
    assert found, f"no KPI {label}"
    return found.group(1)


def section(html: str, label: str) -> str:
    """The HTML of the chart tile titled ``label``."""
    pattern = rf'<section class="card chart[^"]*"[^>]*>\s*<h2 id="[^"]+">{re.escape(label)}</h2>'
    found = re.search(pattern + r".*?</section>", html, re.S)
    assert found, f"no chart {label}"
    return found.group(0)


def test_the_index_lists_the_dashboards_the_user_can_read(
    acme: tuple[Acme, TestClient[Any]],
) -> None:
    _, client = acme
    assert sign_in(client, "acme", "admin@acme.test").status_code == 303
    page = client.get("/t/acme/dashboards")
    assert page.status_code == 200
    boards = re.findall(r'href="/t/acme/dashboards/(\w+)"', page.text)
    assert boards == ["forecast", "marketing", "sales", "support"]
    assert "The open pipeline" in page.text
    client.cookies.clear()
    assert sign_in(client, "acme", "rep@acme.test").status_code == 303
    page = client.get("/t/acme/dashboards")
    boards = re.findall(r'href="/t/acme/dashboards/(\w+)"', page.text)
    assert boards == ["forecast", "marketing", "sales"]
    assert client.get("/t/acme/dashboards/support").status_code == 404
    assert client.get("/t/acme/dashboards/nope").status_code == 404


def test_sales_dashboard_as_admin(acme: tuple[Acme, TestClient[Any]]) -> None:
    _, client = acme
    sign_in(client, "acme", "admin@acme.test")
    page = client.get("/t/acme/dashboards/sales")
    assert page.status_code == 200
    html = page.text
    assert kpi(html, "Open pipeline") == "€1,400.00"
    assert kpi(html, "Open deals") == "2"
    assert kpi(html, "Won revenue") == "€2,300.00"
    bars = section(html, "Deals by stage")
    assert '<svg class="chart-svg"' in bars and 'role="img"' in bars
    assert re.search(r'<title id="tile-\d+-t">Deals by stage</title>', bars)
    assert "<desc id=" in bars and "Prospecting: 1" in bars
    assert re.findall(r"<title>([^<]+)</title>", bars)[:3] == [
        "Prospecting: 1",
        "Qualification: 0",
        "Proposal: 0",
    ]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>', bars)
    assert rows[:2] == [("Prospecting", "1"), ("Qualification", "0")]
    line = section(html, "Won by month")
    assert re.search(r'<path class="chart-line" d="M[\d.]+,[\d.]+ L', line)
    assert "Jan 2026: €2,000.00" in line and "Feb 2026: €0.00" in line
    pie = section(html, "Open activities by kind")
    assert 'class="chart-s' in pie and "Call: 1 (100 %)" in pie
    funnel = section(html, "Funnel")
    assert funnel.count('<g class="step">') == 5  # every stage but lost
    # Each step counts the deals at that stage or a later one.
    assert "<title>Prospecting: 4 (100 % of the first step)</title>" in funnel
    assert "<title>Won: 2 (50 % of the first step)</title>" in funnel
    assert 'aria-current="page">Sales</a>' in html


def test_a_sales_rep_sees_only_their_records(acme: tuple[Acme, TestClient[Any]]) -> None:
    _, client = acme
    sign_in(client, "acme", "rep@acme.test")
    html = client.get("/t/acme/dashboards/sales").text
    assert kpi(html, "Open pipeline") == "€1,000.00"
    assert kpi(html, "Won revenue") == "€2,000.00"
    client.cookies.clear()
    sign_in(client, "acme", "other@acme.test")
    html = client.get("/t/acme/dashboards/sales").text
    assert kpi(html, "Open pipeline") == "€400.00"
    assert "No records." in section(html, "Open activities by kind")


def test_a_support_agent_sees_the_support_dashboard_only(
    acme: tuple[Acme, TestClient[Any]],
) -> None:
    _, client = acme
    sign_in(client, "acme", "agent@acme.test")
    html = client.get("/t/acme/dashboards/support").text
    assert kpi(html, "Open tickets") == "1"
    assert kpi(html, "Urgent open tickets") == "1"
    pie = section(html, "Tickets by priority")
    assert "Urgent: 1 (100 %)" in pie
    # The agent reads deals without their amounts (hidden): counts, never sums.
    sales = client.get("/t/acme/dashboards/sales").text
    assert kpi(sales, "Open deals") == "2"
    assert sales.count("Your role cannot see Amount.") == 4  # pipeline, won, average, by month
    assert "2,300" not in sales and "1,400" not in sales


def test_markup_is_csp_safe_and_escaped(acme: tuple[Acme, TestClient[Any]]) -> None:
    tenant, client = acme
    tenant.create(tenant.admin, "activity", subject="x", kind="task")
    sign_in(client, "acme", "admin@acme.test")
    page = client.get("/t/acme/dashboards/sales")
    csp = page.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    html = page.text
    assert " style=" not in html and "<style" not in html
    assert "<script>" not in html and not re.search(r"<script(?![^>]*src=)", html)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)
    assert '<link rel="stylesheet" href="/static/dashboards.css">' in html
    assert client.get("/static/dashboards.css").status_code == 200


def test_signed_out_users_are_sent_to_sign_in(acme: tuple[Acme, TestClient[Any]]) -> None:
    _, client = acme
    answer = client.get("/t/acme/dashboards/sales", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/t/acme/login?next=")
