"""Live chat follow-ups on the CRM, on SQLite and PostgreSQL (docs/chat.md).

A conversation started with the e-mail of exactly one contact is linked to that contact
(``chat: link:``); an e-mail of no contact, or of two, links none and still opens the
conversation. The support agents are notified of a new conversation (``chat: notify:``);
turning it into a ticket copies the transcript into the ticket (``chat: transcript:``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.notifications import list_for_user
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, crm_tenant, sign_in

CHAT = "/p/acme/chat"
JSON_OWN = {"origin": "http://testserver.local", "content-type": "application/json"}


@dataclass
class Site:
    """A visitor's client and the admin's API credentials."""

    runtime: Runtime
    client: TestClient[Any]
    auth: dict[str, str]

    def api(self, path: str) -> Any:
        answer = self.client.get(f"/t/acme/api/{path}", headers=self.auth)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def contact(self, first: str, email: str) -> int:
        made = self.client.post(
            "/t/acme/api/contact",
            headers=self.auth,
            json={"first_name": first, "last_name": "Test", "email": email},
        )
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def start(self, email: str, text: str = "Hello") -> dict[str, Any]:
        body = json.dumps({"message": text, "name": "V", "email": email})
        answer = self.client.post(CHAT, content=body, headers=JSON_OWN)
        assert answer.status_code == 201, answer.text
        return dict(self.api(f"conversation/{answer.json()['id']}"))


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    """The module's runtimes run on the test's clock."""
    return clocked_runtime


@pytest.fixture
def site(runtime: Runtime) -> Iterator[Site]:
    crm_tenant(runtime)
    token = runtime.registry.create_token("acme", "admin@acme.test")
    with TestClient(app=create_web_app(runtime)) as client:
        yield Site(runtime, client, {"authorization": f"Bearer {token}"})


def test_an_email_of_one_contact_links_it(site: Site) -> None:
    ana = site.contact("Ana", "ana@globex.test")
    site.contact("Bea", "bea@globex.test")
    assert site.start("ana@globex.test")["contact"] == ana
    # Case and surrounding blanks aside, it is the same address.
    assert site.start("  ANA@Globex.test ")["contact"] == ana


def test_no_or_several_matching_contacts_link_none(site: Site) -> None:
    site.contact("Cy", "cy@globex.test")
    nobody = site.start("nobody@globex.test")
    assert nobody["contact"] is None and nobody["visitor_email"] == "nobody@globex.test"
    twice = site.contact("Cy", "CY@GLOBEX.TEST")
    assert twice
    both = site.start("cy@globex.test", "Which Cy am I?")
    assert both["contact"] is None and both["status"] == "open"
    messages = site.api("chat_message?limit=50")["items"]
    assert [m["body"] for m in messages if m["conversation"] == both["id"]] == ["Which Cy am I?"]
    # A deleted contact is not matched: the one left is linked.
    gone = site.client.delete(f"/t/acme/api/contact/{twice}", headers=site.auth)
    assert gone.status_code in (200, 204), gone.text
    assert site.start("cy@globex.test")["contact"] is not None


def test_agents_are_notified_of_a_new_conversation(site: Site) -> None:
    agent = add_user(site.runtime, "acme", "agent@acme.test", ["support_agent"])
    rep = add_user(site.runtime, "acme", "rep@acme.test", ["sales_rep"])
    conversation = site.start("ana@globex.test")
    notes = list_for_user(site.runtime, "acme", agent)
    assert [(n["kind"], n["record_id"]) for n in notes] == [("chat", conversation["id"])]
    assert notes[0]["text"].startswith("New chat: Conversation")
    assert list_for_user(site.runtime, "acme", rep) == []
    # A refused start (no message) notifies nobody.
    bad = site.client.post(CHAT, content=json.dumps({"message": ""}), headers=JSON_OWN)
    assert bad.status_code == 422
    assert len(list_for_user(site.runtime, "acme", agent)) == 1


def test_the_queue_reloads_its_table(site: Site) -> None:
    add_user(site.runtime, "acme", "agent@acme.test", ["support_agent"])
    with TestClient(app=create_web_app(site.runtime)) as agent:
        assert sign_in(agent, "acme", "agent@acme.test").status_code in (302, 303)
        page = agent.get("/t/acme/chat")
        assert page.status_code == 200 and "No open conversations." in page.text
        assert 'hx-get="/t/acme/chat?part=rows" hx-trigger="every 5s"' in page.text
        assert "<script>" not in page.text and "unsafe-inline" not in page.headers.get(
            "content-security-policy", ""
        )
        cid = site.start("ana@globex.test")["id"]
        rows = agent.get("/t/acme/chat?part=rows", headers={"hx-request": "true"})
        assert rows.status_code == 200 and "<html" not in rows.text
        assert 'id="chat-queue-panel"' in rows.text
        assert f"/t/acme/e/conversation/{cid}#chat" in rows.text
        assert 'hx-trigger="every 5s"' in rows.text  # the fragment keeps polling
    # Signed out, the fragment sends the browser to sign in instead of showing rows.
    anonymous = site.client.get("/t/acme/chat?part=rows", headers={"hx-request": "true"})
    assert f"/t/acme/e/conversation/{cid}" not in anonymous.text


def test_a_ticket_gets_the_transcript(site: Site) -> None:
    conversation = site.start("bo@initech.test", "Printer on fire")
    cid = conversation["id"]
    assert conversation["transcript"] is None
    more = site.client.post(
        "/t/acme/api/chat_message",
        headers=site.auth,
        json={"conversation": cid, "body": "Unplug it <now>", "sender": "agent"},
    )
    assert more.status_code == 201, more.text
    moved = site.client.post(
        f"/t/acme/api/conversation/{cid}/transitions/to_ticket", headers=site.auth
    )
    assert moved.status_code == 200, moved.text
    done = site.api(f"conversation/{cid}")
    assert done["transcript"] == "Visitor: Printer on fire\nAgent: Unplug it <now>"
    ticket = site.api(f"ticket/{done['ticket']}")
    assert ticket["description"].endswith(":\n\n" + done["transcript"])
