"""The CRM template's web-to-lead and web-to-case forms over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.members import update_member
from trellis.ui.screens.app import create_web_app

LEAD_FORM = "/p/crm-web/forms/web-to-lead"
CASE_FORM = "/p/crm-web/forms/web-to-case"
OWN = {"origin": "http://testserver.local"}
LEAD = {
    "first_name": "Ana",
    "last_name": "Ruiz",
    "email": "ana@globex.test",
    "company": "Globex",
    "company_size": "large",
    "message": "Forty seats, please.",
}
CASE = {
    "requester_name": "Bo Diaz",
    "requester_email": "bo@initech.test",
    "category": "problem",
    "subject": "Cannot log in",
    "description": "The login page says my password is wrong.",
}


@pytest.fixture
def site(runtime: Runtime) -> Iterator[tuple[TestClient[Any], dict[str, str]]]:
    """The web app over a tenant of the CRM template, and its admin's API headers."""
    create_tenant(runtime, "crm-web", "crm", "boss@crm.test", "long enough secret")
    token = runtime.registry.create_token("crm-web", "boss@crm.test")
    with TestClient(app=create_web_app(runtime)) as client:
        yield client, {"authorization": f"Bearer {token}"}


def _items(client: TestClient[Any], auth: dict[str, str], entity: str) -> list[dict[str, Any]]:
    answer = client.get(f"/t/crm-web/api/{entity}?limit=500", headers=auth)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _rules_run(client: TestClient[Any], auth: dict[str, str], entity: str, rid: int) -> set[str]:
    params = {"entity": entity, "id": str(rid)}
    runs = client.get("/t/crm-web/api/_rule_runs", params=params, headers=auth).json()["items"]
    return {r["rule"] for r in runs if r.get("changes", {}).get("send email")}


def test_web_to_lead_creates_a_lead_and_refuses_bad_posts(
    site: tuple[TestClient[Any], dict[str, str]],
) -> None:
    client, auth = site
    page = client.get(LEAD_FORM, headers={"accept-language": "es-ES"})
    assert page.status_code == 200 and "<h1>Hable con ventas</h1>" in page.text
    assert "Correo electrónico de trabajo" in page.text and 'name="_homepage"' in page.text
    assert "frame-ancestors https://www.example.com" in page.headers["content-security-policy"]
    english = client.get(LEAD_FORM, headers={"accept-language": "en"})
    assert "<h1>Talk to sales</h1>" in english.text and "How can we help?" in english.text

    saved = client.post(LEAD_FORM, data={**LEAD, "source": "partner"}, headers=OWN)
    assert saved.status_code == 200, saved.text
    assert "A member of our sales team will contact you shortly." in saved.text
    (lead,) = _items(client, auth, "lead")
    assert (lead["full_name"], lead["company"]) == ("Ana Ruiz", "Globex")
    assert lead["email"] == LEAD["email"]
    assert (lead["source"], lead["status"], lead["owner_id"]) == ("web", "new", None)
    assert lead["fit_size"] > 0 and lead["fit_source"] > 0  # scored by the seed's rules
    assert "Lead auto-reply" in _rules_run(client, auth, "lead", lead["id"])

    # Bad fields: the form again with every error beside its field; nothing created.
    bad = client.post(
        LEAD_FORM, data={"last_name": "", "email": "nope", "company_size": "huge"}, headers=OWN
    )
    assert bad.status_code == 422
    for name in ("last_name", "email", "company", "company_size"):
        assert f'id="err-{name}"' in bad.text, name
    assert 'value="nope"' in bad.text
    # The honeypot: the thank-you page, nothing stored.
    trap = client.post(LEAD_FORM, data={**LEAD, "_homepage": "http://spam.test"}, headers=OWN)
    assert trap.status_code == 200 and "contact you shortly" in trap.text
    # Another site may not post.
    evil = client.post(LEAD_FORM, data=LEAD, headers={"origin": "https://evil.example"})
    assert evil.status_code == 403
    assert len(_items(client, auth, "lead")) == 1
    # An allowed site may.
    allowed = client.post(
        LEAD_FORM, data={**LEAD, "last_name": "Web"}, headers={"origin": "https://www.example.com"}
    )
    assert allowed.status_code == 200 and len(_items(client, auth, "lead")) == 2


def test_web_to_case_opens_a_ticket_and_refuses_bad_posts(
    site: tuple[TestClient[Any], dict[str, str]],
) -> None:
    client, auth = site
    page = client.get(CASE_FORM, headers={"accept-language": "es"})
    assert page.status_code == 200 and "<h1>Contactar con soporte</h1>" in page.text
    assert "Abrir una incidencia" in page.text

    saved = client.post(CASE_FORM, data={**CASE, "priority": "urgent"}, headers=OWN)
    assert saved.status_code == 200, saved.text
    assert "Your case is open" in saved.text
    (ticket,) = _items(client, auth, "ticket")
    assert (ticket["subject"], ticket["category"], ticket["status"]) == (
        "Cannot log in",
        "problem",
        "new",
    )
    assert ticket["priority"] == "normal"  # not on the form: the visitor cannot set it
    assert ticket["number"].startswith("TCK-") and ticket["opened_at"]
    assert "Case auto-reply" in _rules_run(client, auth, "ticket", ticket["id"])

    bad = client.post(
        CASE_FORM,
        data={"requester_email": "not-an-address", "category": "nonsense", "subject": ""},
        headers=OWN,
    )
    assert bad.status_code == 422
    for name in ("requester_name", "requester_email", "category", "subject", "description"):
        assert f'id="err-{name}"' in bad.text, name
    json_bad = client.post(CASE_FORM, json={"subject": "x"}, headers=OWN)
    assert json_bad.status_code == 422 and "requester_email" in json_bad.json()["errors"]
    trap = client.post(CASE_FORM, data={**CASE, "_homepage": "x"}, headers=OWN)
    assert trap.status_code == 200 and "Your case is open" in trap.text
    wrong = client.post(CASE_FORM, data=CASE, headers={"referer": "https://evil.example/x"})
    assert wrong.status_code == 403
    assert len(_items(client, auth, "ticket")) == 1
    support_site = {"origin": "https://support.example.com"}
    assert client.post(CASE_FORM, json=CASE, headers=support_site).status_code == 201
    assert len(_items(client, auth, "ticket")) == 2


def test_web_leads_go_to_the_sales_reps_in_turn(
    site: tuple[TestClient[Any], dict[str, str]], runtime: Runtime
) -> None:
    client, auth = site
    reg = runtime.registry
    reps = sorted(reg.ensure_user(f"rep{n}@crm.test", "long enough secret") for n in (1, 2))
    for rep in reps:  # web leads without a region go round robin in team "sales"
        reg.add_membership("crm-web", rep, ["sales_rep"])
        update_member(reg, "crm-web", rep, teams=["sales"])
    outsider = reg.ensure_user("rep3@crm.test", "long enough secret")
    reg.add_membership("crm-web", outsider, ["sales_rep"])  # in no team: never routed to
    for n in range(3):
        sent = client.post(LEAD_FORM, data={**LEAD, "last_name": f"N{n}"}, headers=OWN)
        assert sent.status_code == 200, sent.text
    leads = sorted(_items(client, auth, "lead"), key=lambda i: int(i["id"]))
    owners = [i["owner_id"] for i in leads]
    assert set(owners[:2]) == set(reps) and owners[2] == owners[0]
    # A lead a member creates stays theirs.
    mine = client.post("/t/crm-web/api/lead", json={"last_name": "Mine"}, headers=auth)
    assert mine.status_code == 201 and mine.json()["owner_id"] not in (None, *reps)
