"""The CRM's service desk: web cases routed by category to the least loaded agent of the
category's team, web leads round robin by region within the sales team, SLA warnings at
80 % and escalation at breach counted in Spanish business hours (stopped while pending),
the ticket flow with pending and reopen. SQLite and PostgreSQL, a FakeClock and a real
SMTP server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.members import update_member
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from jobs_helpers import free_port, rows, smtp_server

TENANT = "crm-desk"
CASE_FORM = f"/p/{TENANT}/forms/web-to-case"
LEAD_FORM = f"/p/{TENANT}/forms/web-to-lead"
OWN = {"origin": "http://testserver.local"}
CASE = {
    "requester_name": "Bo Diaz",
    "requester_email": "bo@initech.test",
    "category": "billing",
    "subject": "Invoice twice",
    "description": "I was charged twice.",
}
MADRID = ZoneInfo("Europe/Madrid")
LEAD = {"email": "ana@globex.test", "company": "Globex", "last_name": "Ruiz"}


class Desk:
    """The web app over a CRM tenant with support agents and sales reps in teams."""

    def __init__(
        self, client: TestClient[Any], runtime: Runtime, port: int, clock: FakeClock
    ) -> None:
        self.client, self.runtime, self.port, self.clock = client, runtime, port, clock
        token = runtime.registry.create_token(TENANT, "boss@crm.test")
        self.auth = {"authorization": f"Bearer {token}"}
        self.users: dict[str, int] = {}

    def member(self, name: str, role: str, teams: list[str], **attrs: str) -> int:
        reg = self.runtime.registry
        user = reg.ensure_user(f"{name}@crm.test", "long enough secret")
        reg.add_membership(TENANT, user, [role])
        update_member(reg, TENANT, user, teams=teams, attributes=attrs)
        self.users[name] = user
        return user

    def api(self, method: str, path: str, **kw: Any) -> Any:
        answer = self.client.request(method, f"/t/{TENANT}/api/{path}", headers=self.auth, **kw)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def items(self, entity: str, **where: str) -> list[dict[str, Any]]:
        found = self.api("GET", f"{entity}?limit=500")["items"]
        mine = [i for i in found if all(i.get(k) == v for k, v in where.items())]
        return sorted(mine, key=lambda i: int(i["id"]))

    def form(self, url: str, data: dict[str, str]) -> None:
        sent = self.client.post(url, data=data, headers=OWN)
        assert sent.status_code == 200, sent.text

    def notes(self, user: str) -> list[str]:
        token = self.runtime.registry.create_token(TENANT, f"{user}@crm.test")
        answer = self.client.get(
            f"/t/{TENANT}/api/_notifications", headers={"authorization": f"Bearer {token}"}
        )
        return [n["text"] for n in answer.json()["items"]]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Desk]:
    """One CRM tenant per backend for the module (each test uses its own members,
    categories and regions), on a FakeClock, sending e-mail to a local SMTP port."""
    port = free_port()
    config = RuntimeConfig(
        data_dir=tmp_path_factory.mktemp("desk") / "data",
        version_check_interval=0.0,
        smtp_url=f"smtp://127.0.0.1:{port}",
    )
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "postgres":
        config = config.with_overrides(database_url=PG_URL, schema_prefix=prefix)
    clock = FakeClock()
    runtime = Runtime(config, clock=clock)
    try:
        create_tenant(runtime, TENANT, "crm", "boss@crm.test", "long enough secret")
        with TestClient(app=create_web_app(runtime)) as client:
            yield Desk(client, runtime, port, clock)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _subjects(inbox: list[tuple[list[str], Any]], subject: str) -> list[tuple[list[str], str]]:
    return [(to, m["Subject"]) for to, m in inbox if m["Subject"].endswith(subject)]


def test_cases_go_to_the_least_loaded_agent_of_their_category(desk: Desk) -> None:
    ann = desk.member("ann", "support_agent", ["billing"])
    bob = desk.member("bob", "support_agent", ["billing", "problem"])
    desk.member("cy", "support_agent", ["problem"])
    desk.member("dee", "support_lead", ["billing"])  # not an agent: never routed to
    desk.form(CASE_FORM, CASE)
    desk.form(CASE_FORM, CASE)
    first, second = desk.items("ticket", category="billing")
    assert first["channel"] == second["channel"] == "web"
    assert {first["owner_id"], second["owner_id"]} == {ann, bob}  # one each: balanced
    # Resolved tickets are no longer open work: their agent is the least loaded again.
    tid = first["id"]
    desk.api("POST", f"ticket/{tid}/transitions/open")
    desk.api("PATCH", f"ticket/{tid}", json={"resolution": "Refunded."})
    desk.api("POST", f"ticket/{tid}/transitions/resolve")
    desk.form(CASE_FORM, CASE)
    assert desk.items("ticket", category="billing")[2]["owner_id"] == first["owner_id"]
    # A category without agents stays unowned; an agent's own ticket is not routed.
    desk.form(CASE_FORM, {**CASE, "category": "feature_request"})
    assert [t["owner_id"] for t in desk.items("ticket", category="feature_request")] == [None]
    own = desk.api("POST", "ticket", json={"subject": "Phone call", "category": "billing"})
    assert own["channel"] == "agent" and own["owner_id"] not in (ann, bob)


def test_web_leads_go_round_robin_by_region_within_the_sales_team(desk: Desk) -> None:
    n1 = desk.member("n1", "sales_rep", ["sales"], region="north")
    n2 = desk.member("n2", "sales_rep", ["sales"], region="north")
    s1 = desk.member("s1", "sales_rep", ["sales"], region="south")
    desk.member("x1", "sales_rep", ["partners"], region="north")  # another team
    for n in range(3):
        desk.form(LEAD_FORM, {**LEAD, "last_name": f"N{n}", "region": "north"})
    desk.form(LEAD_FORM, {**LEAD, "last_name": "S", "region": "south"})
    desk.form(LEAD_FORM, {**LEAD, "last_name": "E", "region": "east"})  # nobody in the east
    owners = [lead["owner_id"] for lead in desk.items("lead", company="Globex")]
    assert set(owners[:2]) == {n1, n2} and owners[2] == owners[0]
    assert owners[3:] == [s1, None]


def _madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def _sla_due(desk: Desk, ticket: int) -> dict[str, datetime]:
    """The waiting SLA rows of a ticket: key -> due time (UTC)."""
    found = rows(desk.runtime, TENANT, "_schedules")
    return {
        r["key"]: r["due_at"].replace(tzinfo=UTC)
        for r in found
        if r["kind"] == "sla" and r["record_id"] == ticket and r["fired_at"] is None
    }


def test_sla_warns_at_80_percent_and_escalates_at_breach_in_business_hours(desk: Desk) -> None:
    agent = desk.member("qa", "support_agent", ["question"])
    desk.member("boss2", "support_lead", [])
    subject = "Where is my order?"
    desk.clock.set(_madrid(2027, 2, 5, 16))  # a Friday, two business hours before closing
    desk.form(CASE_FORM, {**CASE, "category": "question", "subject": subject})
    (ticket,) = desk.items("ticket", subject=subject)
    assert ticket["owner_id"] == agent and ticket["priority"] == "normal"  # 8 h response
    # Friday 16:00-18:00 and Monday 09:00-15:00 Madrid; the warning at 6 h 24 min.
    due = _sla_due(desk, ticket["id"])
    assert due["response"] == _madrid(2027, 2, 8, 15)
    assert due["response:warning"] == _madrid(2027, 2, 8, 13, 24)
    run = Dispatcher(desk.runtime).run_due
    with smtp_server(desk.port) as inbox:
        run(_madrid(2027, 2, 6, 12))  # Saturday: 20 wall-clock hours, no business hour
        run(_madrid(2027, 2, 8, 13, 20))
    reply = f"We received your request: {subject}"
    assert _subjects(inbox, subject) == [(["bo@initech.test"], reply)]
    with smtp_server(desk.port) as inbox:
        run(_madrid(2027, 2, 8, 13, 25))
        run(_madrid(2027, 2, 8, 13, 26))  # nothing twice
    assert _subjects(inbox, subject) == [(["qa@crm.test"], f"SLA at risk (response): {subject}")]
    warning = f"SLA warning: 80% of the response target of Ticket {subject} used"
    assert warning in desk.notes("qa")
    breach = f"SLA breached: response target of Ticket {subject}"
    assert breach not in desk.notes("boss2")
    with smtp_server(desk.port) as inbox:
        run(_madrid(2027, 2, 8, 14, 59))
    assert desk.items("ticket", subject=subject)[0]["sla_breached"] is False
    with smtp_server(desk.port) as inbox:
        run(_madrid(2027, 2, 8, 15, 1))
    assert _subjects(inbox, subject) == [(["qa@crm.test"], f"SLA breached (response): {subject}")]
    assert desk.items("ticket", subject=subject)[0]["sla_breached"] is True
    assert breach in desk.notes("boss2") and breach in desk.notes("qa")


def test_pending_tickets_stop_the_sla_clock_until_resumed(desk: Desk) -> None:
    desk.clock.set(_madrid(2027, 2, 12, 17))  # Friday, an hour before closing
    ticket = desk.api("POST", "ticket", json={"subject": "Waiting", "priority": "high"})
    tid, run = ticket["id"], Dispatcher(desk.runtime).run_due
    # 4 business hours: one on Friday, three on Monday from 09:00.
    assert _sla_due(desk, tid)["response"] == _madrid(2027, 2, 15, 12)
    assert _sla_due(desk, tid)["response:warning"] == _madrid(2027, 2, 15, 11, 12)
    desk.api("POST", f"ticket/{tid}/transitions/open")
    desk.clock.set(_madrid(2027, 2, 15, 10))  # Monday 10:00: 2 h of the 4 left
    assert desk.api("POST", f"ticket/{tid}/transitions/wait")["status"] == "pending"
    assert _sla_due(desk, tid) == {}
    paused = [r for r in rows(desk.runtime, TENANT, "_schedules") if r["record_id"] == tid]
    assert {(r["kind"], r["key"]) for r in paused} == {
        ("sla_paused", "response"), ("sla_paused", "resolution")
    }  # fmt: skip
    run(_madrid(2027, 2, 15, 17))  # the wall clock passes the due time: nothing happens
    assert desk.api("GET", f"ticket/{tid}")["sla_breached"] is False
    desk.clock.set(_madrid(2027, 2, 16, 10))  # Tuesday 10:00 the customer answers
    desk.api("POST", f"ticket/{tid}/transitions/resume")
    due = _sla_due(desk, tid)
    assert due["response"] == _madrid(2027, 2, 16, 12)  # the 2 h left, from the resume
    assert due["response:warning"] == _madrid(2027, 2, 16, 11, 12)
    run(_madrid(2027, 2, 16, 11, 59))
    assert desk.api("GET", f"ticket/{tid}")["sla_breached"] is False
    assert "SLA warning: 80% of the response target of Ticket Waiting used" in desk.notes("boss")
    run(_madrid(2027, 2, 16, 12, 1))
    assert desk.api("GET", f"ticket/{tid}")["sla_breached"] is True


def test_a_target_met_in_time_neither_warns_nor_breaches(desk: Desk) -> None:
    desk.member("ot", "support_agent", ["other"])
    subject = "Answered fast"
    desk.form(CASE_FORM, {**CASE, "category": "other", "subject": subject})
    (ticket,) = desk.items("ticket", subject=subject)
    desk.clock.advance(3600)
    answered = desk.clock.now().isoformat()
    desk.api("PATCH", f"ticket/{ticket['id']}", json={"first_response_at": answered})
    with smtp_server(desk.port) as inbox:
        Dispatcher(desk.runtime).run_due(desk.clock.now() + timedelta(hours=9))
    # Only the auto-reply: no warning or breach of the response (met after 1 h), and the
    # resolution (45 business hours) is not at risk before 36 business hours.
    assert [s for _, s in _subjects(inbox, subject)] == [f"We received your request: {subject}"]
    assert not [t for t in desk.notes("ot") if t.startswith("SLA")]


def test_ticket_flow_waits_on_the_customer_and_reopens(desk: Desk) -> None:
    ticket = desk.api("POST", "ticket", json={"subject": "Slow", "resolution": "Cache."})
    tid = ticket["id"]
    assert ticket["status"] == "new"
    steps = ["open", "wait", "resume", "wait", "resolve", "close", "reopen", "resolve", "reopen"]
    states = [desk.api("POST", f"ticket/{tid}/transitions/{s}")["status"] for s in steps]
    assert states == [
        "open", "pending", "open", "pending", "resolved", "closed", "open", "resolved", "open"
    ]  # fmt: skip
    refused = desk.client.post(f"/t/{TENANT}/api/ticket/{tid}/transitions/close", headers=desk.auth)
    assert refused.status_code == 409, refused.text


def _link_in(inbox: list[tuple[list[str], Any]], subject: str) -> str:
    (message,) = [m for _, m in inbox if m["Subject"] == subject]
    body = message.get_payload(decode=True).decode()
    found = re.search(rf"https://crm\.example\.com(/p/{TENANT}/s/\S+)", body)
    assert found, body
    return found.group(1)


def test_survey_a_day_after_resolution_answered_once(desk: Desk) -> None:
    subject = "Printer jam"
    ticket = desk.api("POST", "ticket", json={
        "subject": subject, "requester_email": "rita@client.test", "resolution": "Cleaned.",
    })  # fmt: skip
    tid = ticket["id"]
    desk.api("POST", f"ticket/{tid}/transitions/open")
    resolved = desk.api("POST", f"ticket/{tid}/transitions/resolve")
    number = resolved["number"]
    title = f"How did we do? {subject} ({number})"
    start = desk.clock.now()
    run = Dispatcher(desk.runtime).run_due
    with smtp_server(desk.port) as inbox:
        run(start + timedelta(hours=23))
    assert [s for _, s in _subjects(inbox, f"({number})") if s.startswith("How")] == []
    with smtp_server(desk.port) as inbox:
        run(start + timedelta(hours=24, minutes=1))
    assert [to for to, m in inbox if m["Subject"] == title] == [["rita@client.test"]]
    path = _link_in(inbox, title)

    page = desk.client.get(path, headers={"accept-language": "es"})
    assert page.status_code == 200 and "¿Qué tal lo hicimos?" in page.text
    assert "Enviar mi respuesta" in page.text
    assert "How did we do?" in desk.client.get(path, headers={"accept-language": "en"}).text
    # A refused answer names the field and does not use the link up.
    bad = desk.client.post(path, data={"survey_rating": "9"}, headers=OWN)
    assert bad.status_code == 422 and 'id="err-survey_rating"' in bad.text
    done = desk.client.post(
        path,
        data={"survey_rating": "4", "survey_nps": "9", "survey_comment": "Quick."},
        headers=OWN,
    )
    assert done.status_code == 200 and "Thank you for your answer." in done.text
    (answer,) = desk.items("survey_response", ticket=tid)
    assert (answer["rating"], answer["nps"], answer["comment"]) == (4, 9, "Quick.")
    assert answer["email"] == "rita@client.test"
    # Used once: a second answer is refused with a clear page and changes nothing.
    again = desk.client.post(path, data={"survey_rating": "1"}, headers=OWN)
    assert again.status_code == 410 and "This link has already been used." in again.text
    assert [a["rating"] for a in desk.items("survey_response", ticket=tid)] == [4]
    # Tampered: not valid.
    forged = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    answer_page = desk.client.get(forged)
    assert answer_page.status_code == 404 and "This link is not valid." in answer_page.text
    # Expired: a link issued for a day, used two days later.
    short = desk.api(
        "POST", "_links", json={"link": "ticket-survey", "record_id": tid, "expires_days": 1}
    )
    desk.clock.advance(2 * 86400)
    late = desk.client.post(short["path"], data={"survey_rating": "5"}, headers=OWN)
    assert late.status_code == 410 and "This link has expired." in late.text
    assert len(desk.items("survey_response", ticket=tid)) == 1
    # No second survey e-mail for the same resolution.
    with smtp_server(desk.port) as inbox:
        run(desk.clock.now() + timedelta(days=3))
    assert [m for _, m in inbox if m["Subject"] == title] == []


def test_sla_due_times_skip_the_holidays_of_later_years(desk: Desk) -> None:
    # The calendar's yearly holidays never run out: Christmas 2028 falls on a Monday and
    # Good Friday 2029 (from Easter) on 30 March; both move an 8-hour response target on.
    cases = (
        ((2028, 12, 22, 17), (2028, 12, 26, 16)),  # Friday 17:00 + 1 h; Tuesday 09:00 + 7 h
        ((2029, 3, 29, 16), (2029, 4, 2, 15)),  # Thursday 16:00 + 2 h; Monday 09:00 + 6 h
    )
    for opened, due in cases:
        desk.clock.set(_madrid(*opened))
        subject = f"Holiday case {opened[0]}"
        desk.form(CASE_FORM, {**CASE, "category": "question", "subject": subject})
        (ticket,) = desk.items("ticket", subject=subject)
        assert ticket["priority"] == "normal"
        assert _sla_due(desk, ticket["id"])["response"] == _madrid(*due)
