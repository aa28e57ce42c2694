"""CRM marketing: segments are rule-language filters checked on save; starting a campaign
enrols its segment once (rules/marketing.rules) and splits members A/B by a stable bucket;
campaign e-mails (a real SMTP server) carry an open pixel, signed click links and a
one-click unsubscribe that withdraws consent, after which no marketing e-mail is sent;
nurturing e-mails follow on day 3 and day 7 unless the member responded (FakeClock)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from decimal import Decimal
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.config.clock import FakeClock
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.rules.expr.hashing import hash_bucket
from trellis.ui.screens.app import create_web_app

from helpers import Api
from jobs_helpers import free_port, rows, smtp_server, use_setting

LANDING = "https://shop.example.com/spring?from=mail"
PIXEL_PATH = re.compile(r'<img src="https://crm\.example\.com(/p/crm-mkt/s/[^"]+)"')
CLICK_PATH = re.compile(r'href="https://crm\.example\.com(/p/crm-mkt/s/[^"]+)">Read more')


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    """Every fixture built on ``runtime`` runs on the test's FakeClock."""
    return clocked_runtime


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The web app: the API and the public pages (/p/...)."""
    with TestClient(app=create_web_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def crm(runtime: Runtime, client: Any) -> Api:
    create_tenant(runtime, "crm-mkt", "crm", "boss@crm.test", "long enough secret")
    return Api(client, "crm-mkt", runtime.registry.create_token("crm-mkt", "boss@crm.test"))


def _post(api: Api, entity: str, **values: Any) -> dict[str, Any]:
    response = api.post(entity, json=values)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _members(api: Api, campaign: int) -> dict[int, str]:
    rows = api.get("campaign_member", params={"filter": f"campaign == {campaign}", "limit": 200})
    assert rows.status_code == 200, rows.text
    return {r["contact"]: r["variant"] for r in rows.json()["items"]}


def test_segments_enrolment_and_campaign_mail(
    crm: Api, runtime: Runtime, client: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One tenant per backend (creating the CRM dominates the run time)."""
    _web_leads_get_behaviour_points(crm)
    _bad_segment_filter_is_refused_with_its_position(crm)
    _campaign_enrols_its_segment_once_with_a_stable_split(crm)
    port = free_port()
    use_setting(runtime, monkeypatch, "TRELLIS_SMTP_URL", f"smtp://127.0.0.1:{port}")
    spring, summer = _campaign_mail_is_tracked_and_unsubscribe_withdraws_consent(
        crm, runtime, client, clock, port
    )
    _nurturing_follows_on_day_3_and_7_unless_responded(crm, runtime, clock, port, spring, summer)


def _web_leads_get_behaviour_points(crm: Api) -> None:
    """Behaviour points (rules/scoring.rules) add to the fit score before the grade."""
    web = _post(crm, "lead", last_name="Web", source="web", company_size="medium")
    assert (web["fit_score"], web["behaviour_score"], web["score"]) == (35, 10, 45)
    assert web["grade"] == "C"
    other = _post(crm, "lead", last_name="Call", source="cold_call", company_size="medium")
    assert (other["behaviour_score"], other["score"], other["grade"]) == (0, 20, "D")
    # Points are added once, on creation; a later edit keeps them.
    again = crm.patch(f"lead/{web['id']}", json={"title": "Office manager"})
    assert (again.json()["behaviour_score"], again.json()["score"]) == (10, 60)
    assert again.json()["grade"] == "B"


def _bad_segment_filter_is_refused_with_its_position(crm: Api) -> None:
    bad = crm.post("segment", json={"name": "Spain", "filter": 'contry == "Spain"'})
    assert bad.status_code == 422, bad.text
    (message,) = bad.json()["errors"]["filter"]
    assert message.startswith("Line 1, column 1: RL002 "), message
    assert "'contry'" in message and "(did you mean 'country'?)" in message
    not_boolean = crm.post("segment", json={"name": "Spain", "filter": "country"})
    assert not_boolean.status_code == 422
    assert not_boolean.json()["errors"]["filter"][0].startswith("Line 1, column 1: RL006")
    assert crm.get("segment").json()["items"] == []  # nothing stored
    good = _post(crm, "segment", name="Spain", filter='country == "Spain"')
    worse = crm.patch(f"segment/{good['id']}", json={"filter": 'country == "Spain" and'})
    assert worse.status_code == 422
    assert worse.json()["errors"]["filter"][0].startswith("Line 1, column ")
    assert crm.get(f"segment/{good['id']}").json()["filter"] == 'country == "Spain"'


def _campaign_enrols_its_segment_once_with_a_stable_split(crm: Api) -> None:
    spain = [_post(crm, "contact", first_name=f"C{i}", last_name="Ruiz", country="Spain")
             for i in range(12)]  # fmt: skip
    _post(crm, "contact", first_name="Elsewhere", last_name="Smith", country="France")
    segment = crm.get("segment", params={"filter": 'name == "Spain"'}).json()["items"][0]
    campaign = _post(crm, "campaign", name="Spring", segment=segment["id"], split_a=50)
    assert _members(crm, campaign["id"]) == {}  # planned: nobody enrolled yet

    started = crm.patch(f"campaign/{campaign['id']}", json={"status": "active"})
    assert started.status_code == 200, started.text
    members = _members(crm, campaign["id"])
    assert sorted(members) == sorted(c["id"] for c in spain)
    for contact, variant in members.items():
        assert variant == ("A" if hash_bucket(contact, 100) < 50 else "B")
    assert set(members.values()) == {"A", "B"}

    # Pause and restart after the segment grew: only the new contact is added.
    late = _post(crm, "contact", first_name="Late", last_name="Gil", country="Spain")
    assert crm.patch(f"campaign/{campaign['id']}", json={"status": "planned"}).status_code == 200
    assert crm.patch(f"campaign/{campaign['id']}", json={"status": "active"}).status_code == 200
    again = _members(crm, campaign["id"])
    assert len(again) == 13 and again[late["id"]] in ("A", "B")
    assert {k: v for k, v in again.items() if k != late["id"]} == members
    assert crm.get("campaign/" + str(campaign["id"])).json()["members"] == 13

    # Another campaign with the same split gives every contact the same variant;
    # one with all of A gives every member A.
    twin = _post(crm, "campaign", name="Summer", segment=segment["id"], split_a=50)
    crm.patch(f"campaign/{twin['id']}", json={"status": "active"})
    assert _members(crm, twin["id"]) == again
    all_a = _post(crm, "campaign", name="Autumn", segment=segment["id"], split_a=100)
    crm.patch(f"campaign/{all_a['id']}", json={"status": "active"})
    assert set(_members(crm, all_a["id"]).values()) == {"A"}


def _grant(api: Api, email: str) -> None:
    body = {"email": email, "purpose": "marketing", "granted": True, "source": "signup form"}
    assert api.post("_gdpr/consents", json=body).status_code == 201


def _send(runtime: Runtime, port: int) -> dict[str, Message]:
    """Run the due jobs against a real SMTP server; the messages by recipient."""
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due()
    return {to[0]: message for to, message in inbox}


def _html(message: Message) -> str:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return str(part.get_payload(decode=True).decode()).replace("&amp;", "&")


def _member(api: Api, campaign: int, email: str) -> dict[str, Any]:
    found = api.get(
        "campaign_member", params={"filter": f'campaign == {campaign} and email == "{email}"'}
    ).json()["items"]
    assert len(found) == 1, found
    return dict(found[0])


def _start_mail_campaign(api: Api, name: str, segment: int) -> int:
    campaign = _post(
        api, "campaign", name=name, channel="email", segment=segment, split_a=50,
        subject_a="Spring offer", subject_b="Our spring prices", landing_url=LANDING,
    )  # fmt: skip
    started = api.patch(f"campaign/{campaign['id']}", json={"status": "active"})
    assert started.status_code == 200, started.text
    return int(campaign["id"])


def _ab_result_and_roi(crm: Api, campaign: int) -> None:
    """The campaign's rollups, rates, z-test and ROI follow its members."""
    members = crm.get(
        "campaign_member", params={"filter": f"campaign == {campaign}", "limit": 50}
    ).json()["items"]
    sent = {v: sum(1 for m in members if m["sent"] and m["variant"] == v) for v in "AB"}
    clicks = {v: sum(1 for m in members if m["clicked"] and m["variant"] == v) for v in "AB"}
    assert sum(clicks.values()) == 1 and sum(sent.values()) == 3
    found = crm.get(f"campaign/{campaign}").json()
    assert (found["sent_a"], found["sent_b"]) == (sent["A"], sent["B"])
    assert (found["clicked_a"], found["clicked_b"]) == (clicks["A"], clicks["B"])
    for v in "AB":
        rate = found[f"click_rate_{v.lower()}"]
        if sent[v]:
            assert Decimal(rate) == round(Decimal(clicks[v] * 100) / sent[v], 2)
        else:
            assert rate is None
    if sent["A"] and sent["B"]:
        rate_a, rate_b = clicks["A"] / sent["A"], clicks["B"] / sent["B"]
        pooled = sum(clicks.values()) / sum(sent.values())
        z = (rate_a - rate_b) / math.sqrt(pooled * (1 - pooled) * (1 / sent["A"] + 1 / sent["B"]))
        assert abs(float(found["ab_z"]) - z) < 1e-6
        assert Decimal("0") <= Decimal(found["ab_p_value"]) <= Decimal("1")
    else:
        assert found["ab_z"] is None and found["ab_p_value"] is None
    assert found["roi"] is None  # no cost yet
    costed = crm.patch(f"campaign/{campaign}", json={"actual_cost": "400"})
    assert costed.status_code == 200, costed.text
    assert Decimal(costed.json()["roi"]) == Decimal("-1")  # nothing won yet


def _campaign_mail_is_tracked_and_unsubscribe_withdraws_consent(
    crm: Api, runtime: Runtime, client: Any, clock: FakeClock, port: int
) -> tuple[int, int]:
    for first in ("ana", "bob", "cid"):
        _post(crm, "contact", first_name=first, last_name="Mail", email=f"{first}@mail.test")
    _grant(crm, "ana@mail.test")
    _grant(crm, "bob@mail.test")  # cid never agreed
    segment = _post(crm, "segment", name="Mail", filter='email ends_with "@mail.test"')
    spring = _start_mail_campaign(crm, "Spring mail", segment["id"])
    inbox = _send(runtime, port)
    assert sorted(inbox) == ["ana@mail.test", "bob@mail.test"]
    skipped = [r for r in rows(runtime, "crm-mkt", "_deliveries") if r["status"] == "skipped"]
    assert [r["target"] for r in skipped] == ["cid@mail.test"]

    ana = _member(crm, spring, "ana@mail.test")
    mail = inbox["ana@mail.test"]
    wanted = "Spring offer" if ana["variant"] == "A" else "Our spring prices"
    assert mail["Subject"] == wanted and ana["sent"] is True
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = re.sub(r"\s+", "", str(mail["List-Unsubscribe"]))  # unfolded
    unsubscribe = re.fullmatch(r"<https://crm\.example\.com(/p/crm-mkt/s/\S+)>", header)
    assert unsubscribe is not None, header
    html = _html(mail)
    (pixel,) = PIXEL_PATH.findall(html)
    (click,) = CLICK_PATH.findall(html)

    # Opening: the pixel is a GIF and marks the member.
    opened = client.get(pixel)
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
    assert opened.content.startswith(b"GIF89a")
    assert _member(crm, spring, "ana@mail.test")["opened"] is True

    # A click goes on to the signed address only; a changed target changes nothing.
    path, query = click.split("?", 1)
    signed = parse_qs(query)
    assert signed["to"] == [LANDING]
    evil = {"to": "https://evil.example.com/", "sig": signed["sig"][0]}
    tampered = client.get(f"{path}?{urlencode(evil)}", follow_redirects=False)
    assert tampered.status_code == 404 and "location" not in tampered.headers
    no_sig = client.get(f"{path}?{urlencode({'to': LANDING})}", follow_redirects=False)
    assert no_sig.status_code == 404
    assert _member(crm, spring, "ana@mail.test")["clicked"] is False
    clicked = client.get(click, follow_redirects=False)
    assert clicked.status_code == 303 and clicked.headers["location"] == LANDING
    assert _member(crm, spring, "ana@mail.test")["clicked"] is True
    _ab_result_and_roi(crm, spring)

    # One-click unsubscribe (RFC 8058): the mail provider posts, without an Origin.
    one_click = client.post(
        unsubscribe.group(1),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200, one_click.text
    assert _member(crm, spring, "ana@mail.test")["unsubscribed"] is True
    ledger = crm.get("_gdpr/consents", params={"email": "ana@mail.test"}).json()["items"]
    assert [(e["purpose"], e["granted"]) for e in ledger] == [
        ("marketing", True), ("marketing", False),
    ]  # fmt: skip
    assert urlsplit(click).path.startswith("/p/crm-mkt/s/")

    # The next campaign to the same segment, an hour later, reaches bob only.
    clock.advance(3600)
    summer = _start_mail_campaign(crm, "Summer mail", segment["id"])
    assert sorted(_send(runtime, port)) == ["bob@mail.test"]
    assert _member(crm, summer, "ana@mail.test")["sent"] is True  # queued, then refused
    refused = [r for r in rows(runtime, "crm-mkt", "_deliveries") if r["status"] == "skipped"]
    assert sorted(r["target"] for r in refused) == [
        "ana@mail.test",
        "cid@mail.test",
        "cid@mail.test",
    ]
    return spring, summer


def _nurturing_follows_on_day_3_and_7_unless_responded(
    crm: Api, runtime: Runtime, clock: FakeClock, port: int, spring: int, summer: int
) -> None:
    bob_spring = _member(crm, spring, "bob@mail.test")
    marked = crm.patch(f"campaign_member/{bob_spring['id']}", json={"responded": True})
    assert marked.status_code == 200, marked.text
    subject = _member(crm, summer, "bob@mail.test")["subject"]
    clock.advance(3 * 86400 - 2 * 3600)  # day 3 of spring - 1 h: nothing is due yet
    assert _send(runtime, port) == {}
    clock.advance(2 * 3600)  # day 3 of both: bob responded to spring, ana left, cid never agreed
    inbox = _send(runtime, port)
    assert sorted(inbox) == ["bob@mail.test"]
    assert inbox["bob@mail.test"]["Subject"] == f"A reminder: {subject}"
    assert inbox["bob@mail.test"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    clock.advance(4 * 86400)
    inbox = _send(runtime, port)
    assert [m["Subject"] for m in inbox.values()] == [f"Last chance: {subject}"]
    clock.advance(30 * 86400)
    assert _send(runtime, port) == {}  # two follow-ups, no more
