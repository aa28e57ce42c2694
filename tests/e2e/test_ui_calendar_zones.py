"""The calendar in the reader's time zone and language: days, weeks, DST and Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.identity.preferences import UserPreferences
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.ui.screens.app import create_web_app

from ui_support import PASSWORD, crm_tenant, sign_in

MADRID = "Europe/Madrid"


class Tenant:
    """Tenant 'acme' (CRM) whose admin reads the calendar in Madrid time."""

    def __init__(self, runtime: Runtime, locale: str | None) -> None:
        self.api = Services(runtime)
        self.runtime = runtime
        crm_tenant(runtime)
        self.admin = runtime.registry.ensure_user("admin@acme.test", PASSWORD)
        prefs = UserPreferences(runtime.registry, clock=runtime.clock)
        prefs.set_timezone(self.admin, MADRID)
        if locale is not None:
            prefs.set_locale(self.admin, locale)

    def activity(self, subject: str, due: str) -> int:
        identity = self.runtime.registry.member_identity("acme", self.admin)
        assert identity is not None
        call = self.api.call_as("acme", identity)
        record = {"subject": subject, "kind": "call", "due_at": due}
        result = self.api.records.create(call, call.app.entities["activity"], record)
        return int(result.record["id"])


def _client(runtime: Runtime, locale: str | None) -> Iterator[tuple[Tenant, TestClient[Any]]]:
    tenant = Tenant(runtime, locale)
    with TestClient(app=create_web_app(runtime)) as client:
        sign_in(client, "acme", "admin@acme.test")
        yield tenant, client


@pytest.fixture
def madrid(runtime: Runtime) -> Iterator[tuple[Tenant, TestClient[Any]]]:
    yield from _client(runtime, None)


@pytest.fixture
def madrid_es(runtime: Runtime) -> Iterator[tuple[Tenant, TestClient[Any]]]:
    yield from _client(runtime, "es")


def cells(html: str) -> dict[str, str]:
    """Each grid cell by its day (YYYY-MM-DD)."""
    found = re.findall(
        r'(<td[^>]*>\s*<span class="cal-day"><a href="/t/acme/calendar\?view=week&date='
        r'(\d{4}-\d\d-\d\d)".*?</td>)',
        html.replace("&amp;", "&"),
        re.S,
    )
    return {day: body for body, day in found}


def test_a_late_utc_event_lands_on_the_next_local_day(
    madrid: tuple[Tenant, TestClient[Any]],
) -> None:
    tenant, client = madrid
    tenant.activity("Late call", "2026-11-24T23:30:00Z")  # 00:30 on the 25th in Madrid
    tenant.activity("Early call", "2026-11-23T00:30:00Z")  # 01:30 on the 23rd
    html = client.get("/t/acme/calendar?view=week&date=2026-11-25").text
    days = cells(html)
    assert list(days) == [f"2026-11-{d}" for d in range(23, 30)]
    assert '<span class="cal-time">00:30</span> Late call' in days["2026-11-25"]
    assert "Late call" not in days["2026-11-24"]
    assert '<span class="cal-time">01:30</span> Early call' in days["2026-11-23"]


def test_an_event_just_before_local_midnight_of_the_first_day_is_outside_the_month(
    madrid: tuple[Tenant, TestClient[Any]],
) -> None:
    tenant, client = madrid
    # 23:30 UTC on 6 December is 00:30 on the 7th in Madrid: after the month's last week.
    tenant.activity("Next page", "2026-12-06T23:30:00Z")
    # 23:30 UTC on 25 October is 00:30 on the 26th: the month's first day shown.
    tenant.activity("First cell", "2026-10-25T23:30:00Z")
    html = client.get("/t/acme/calendar?view=month&date=2026-11-10").text
    days = cells(html)
    assert "Next page" not in html
    assert "First cell" in days["2026-10-26"]


def test_a_week_across_the_dst_change_has_its_seven_days(
    madrid_es: tuple[Tenant, TestClient[Any]],
) -> None:
    tenant, client = madrid_es
    # Summer time ends in Madrid at 01:00 UTC on Sunday 25 October 2026.
    tenant.activity("Antes", "2026-10-18T21:30:00Z")  # Sun 18th 23:30 CEST: week before
    tenant.activity("Lunes", "2026-10-18T22:30:00Z")  # Mon 19th 00:30 CEST
    tenant.activity("Domingo", "2026-10-25T22:30:00Z")  # Sun 25th 23:30 CET
    tenant.activity("Después", "2026-10-25T23:30:00Z")  # Mon 26th 00:30 CET: week after
    html = client.get("/t/acme/calendar?view=week&date=2026-10-22").text
    days = cells(html)
    assert list(days) == [f"2026-10-{d}" for d in range(19, 26)]
    assert '<span class="cal-time">00:30</span> Lunes' in days["2026-10-19"]
    assert '<span class="cal-time">23:30</span> Domingo' in days["2026-10-25"]
    assert "Antes" not in html and "Después" not in html
    # Spanish: the week starts on Monday (lunes) and the page speaks Spanish.
    heads = re.findall(r'<th scope="col"><abbr title="([^"]+)">', html)
    assert heads[0] == "lunes" and heads[-1] == "domingo"
    assert '<h1 id="cal-title">Semana del 19 oct 2026</h1>' in html
    assert 'aria-label="lunes, 19 de octubre de 2026, 1 elemento"' in html
    assert "2 actividades en esta semana." in html
    after = client.get("/t/acme/calendar?view=week&date=2026-10-26").text
    assert "Después" in cells(after)["2026-10-26"] and "Domingo" not in after


def test_the_month_title_and_navigation_speak_spanish(
    madrid_es: tuple[Tenant, TestClient[Any]],
) -> None:
    _, client = madrid_es
    html = client.get("/t/acme/calendar?view=month&date=2026-11-10").text
    assert '<h1 id="cal-title">noviembre de 2026</h1>' in html
    assert "Mes siguiente" in html and "Hoy</a>" in html
    assert "0 actividades en este mes." in html
