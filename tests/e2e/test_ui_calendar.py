"""The calendar screen: month and week views of activities, navigation, scope and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.tenants.registry import utcnow
from trellis.ui.screens.app import create_web_app

from ui_support import PASSWORD, add_user, crm_tenant, sign_in


class Acme:
    """Tenant 'acme' from the CRM template: an admin, a sales rep and a support agent."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.api = Services(runtime)
        crm_tenant(runtime)
        self.admin = runtime.registry.ensure_user("admin@acme.test", PASSWORD)
        self.rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
        self.agent = add_user(runtime, "acme", "agent@acme.test", ["support_agent"])

    def activity(self, user: int, subject: str, due: str | None, **data: Any) -> int:
        identity = self.runtime.registry.member_identity("acme", user)
        assert identity is not None
        call = self.api.call_as("acme", identity)
        record = {"subject": subject, "kind": "task", **data}
        if due is not None:
            record["due_at"] = due
        result = self.api.records.create(call, call.app.entities["activity"], record)
        return int(result.record["id"])


@pytest.fixture
def acme(runtime: Runtime) -> Iterator[tuple[Acme, TestClient[Any]]]:
    tenant = Acme(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        yield tenant, client


def cell(html: str, day: str) -> str:
    """The grid cell of ``day`` (YYYY-MM-DD), found by its week link."""
    found = re.search(
        rf'<td[^>]*>\s*<span class="cal-day"><a href="/t/acme/calendar\?view=week&date={day}"'
        r".*?</td>",
        html,
        re.S,
    )
    assert found, f"no cell {day}"
    return found.group(0)


def test_month_view_places_activities_on_their_day(acme: tuple[Acme, TestClient[Any]]) -> None:
    tenant, client = acme
    call = tenant.activity(tenant.admin, "Call <Big Co>", "2026-11-23T10:00:00Z", kind="call")
    done = tenant.activity(tenant.admin, "Sent offer", "2026-11-02T08:30:00Z", done=True)
    tenant.activity(tenant.admin, "December", "2026-12-15T09:00:00Z")
    tenant.activity(tenant.admin, "Undated", None)
    sign_in(client, "acme", "admin@acme.test")
    page = client.get("/t/acme/calendar?view=month&date=2026-11-10")
    assert page.status_code == 200
    html = page.text.replace("&amp;", "&")
    assert '<h1 id="cal-title">November 2026</h1>' in html
    body = html.split("<tbody>")[1]
    assert body.count("<tr>") == 6  # 26 October to 6 December
    monday = cell(html, "2026-11-23")
    assert f'href="/t/acme/e/activity/{call}"' in monday
    assert '<span class="cal-time">10:00</span> Call &lt;Big Co&gt;' in monday
    assert 'aria-label="Monday 23 November 2026, 1 item"' in monday
    offer = cell(html, "2026-11-02")
    assert 'class="cal-item done"' in offer and f"/e/activity/{done}" in offer
    assert "December" not in body.replace("December 2026", "")
    assert "Undated" not in html
    assert "other-month" in cell(html, "2026-10-26")
    assert "other-month" not in cell(html, "2026-11-01")
    assert 'href="/t/acme/calendar?view=month&date=2026-10-01" rel="prev"' in html
    assert 'href="/t/acme/calendar?view=month&date=2026-12-01" rel="next"' in html
    today = utcnow().date().isoformat()
    assert f'href="/t/acme/calendar?view=month&date={today}">Today</a>' in html
    assert "2 activities in this month." in html


def test_week_view_and_more_link(acme: tuple[Acme, TestClient[Any]]) -> None:
    tenant, client = acme
    for hour in range(6):
        tenant.activity(tenant.admin, f"Slot {hour}", f"2026-11-25T0{hour}:15:00Z")
    tenant.activity(tenant.admin, "Following Monday", "2026-11-30T09:00:00Z")
    sign_in(client, "acme", "admin@acme.test")
    month = client.get("/t/acme/calendar?date=2026-11-25").text
    wednesday = cell(month, "2026-11-25")
    assert wednesday.count('class="cal-item"') == 4
    assert ">+2 more</a>" in wednesday
    week = client.get("/t/acme/calendar?view=week&date=2026-11-25")
    assert week.status_code == 200
    html = week.text.replace("&amp;", "&")
    assert '<h1 id="cal-title">Week of 23 Nov 2026</h1>' in html
    body = html.split("<tbody>")[1]
    assert body.count("<td") == 7
    assert cell(html, "2026-11-25").count('class="cal-item"') == 6
    assert "Following Monday" not in html
    assert 'date=2026-11-16" rel="prev"' in html and 'date=2026-11-30" rel="next"' in html
    assert 'href="/t/acme/calendar?view=week&date=2026-11-25" aria-current="page">Week' in html


def test_the_calendar_shows_only_records_in_the_callers_scope(
    acme: tuple[Acme, TestClient[Any]],
) -> None:
    tenant, client = acme
    tenant.activity(tenant.rep, "Mine", "2026-11-10T09:00:00Z")
    tenant.activity(tenant.admin, "Not mine", "2026-11-10T11:00:00Z")
    sign_in(client, "acme", "rep@acme.test")
    html = client.get("/t/acme/calendar?date=2026-11-10").text
    day = cell(html, "2026-11-10")
    assert "Mine" in day and "Not mine" not in day
    client.cookies.clear()
    sign_in(client, "acme", "agent@acme.test")
    refused = client.get("/t/acme/calendar?date=2026-11-10")
    assert refused.status_code == 403
    assert "Mine" not in refused.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("view=year", "view must be month or week, not &#39;year&#39;."),
        ("date=2026-13-01", "date must be a day like 2026-11-25, not &#39;2026-13-01&#39;."),
        ("date=tomorrow", "date must be a day like 2026-11-25, not &#39;tomorrow&#39;."),
    ],
)
def test_bad_parameters_answer_400(
    acme: tuple[Acme, TestClient[Any]], query: str, message: str
) -> None:
    _, client = acme
    sign_in(client, "acme", "admin@acme.test")
    answer = client.get(f"/t/acme/calendar?{query}")
    assert answer.status_code == 400
    assert message in answer.text


def test_default_is_this_month(acme: tuple[Acme, TestClient[Any]]) -> None:
    _, client = acme
    sign_in(client, "acme", "admin@acme.test")
    html = client.get("/t/acme/calendar").text
    today = utcnow().date()
    assert f'<h1 id="cal-title">{today.strftime("%B %Y")}</h1>' in html
    assert 'aria-current="date"' in html
    assert "0 activities in this month." in html
