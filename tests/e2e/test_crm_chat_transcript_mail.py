"""A chat visitor asks for the transcript by e-mail (docs/chat.md), SQLite and PostgreSQL.

The conversation page has a button that e-mails the conversation to the address the
visitor gave when it started (never another one): the job goes through the outbox and
a real local SMTP server receives it, in the visitor's language, with every message
stored when the job runs, before or after the conversation is closed. Without an
address the request is refused (422 naming ``email``) and nothing is queued; a forged
token answers 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from jobs_helpers import free_port, rows, smtp_server
from ui_support import crm_tenant

CHAT = "/p/acme/chat"
OWN = {"origin": "http://testserver.local"}
JSON_OWN = {**OWN, "content-type": "application/json"}
NOW = datetime(2027, 5, 3, 10, tzinfo=UTC)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def runtime(config: RuntimeConfig, clock: FakeClock, port: int) -> Iterator[Runtime]:
    """A runtime on the test's clock that mails to a local SMTP port."""
    clock.set(NOW)
    rt = Runtime(config.with_overrides(smtp_url=f"smtp://127.0.0.1:{port}"), clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient[Any]]:
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as test_client:
        yield test_client


def _start(client: TestClient[Any], email: str | None, text: str) -> tuple[int, str]:
    body: dict[str, Any] = {"message": text, "name": "Ana"}
    if email is not None:
        body["email"] = email
    answer = client.post(CHAT, content=json.dumps(body), headers=JSON_OWN)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"]), str(answer.json()["url"])


def _answer(runtime: Runtime, client: TestClient[Any], conversation: int, text: str) -> None:
    auth = {"authorization": "Bearer " + runtime.registry.create_token("acme", "admin@acme.test")}
    sent = client.post(
        "/t/acme/api/chat_message",
        json={"conversation": conversation, "body": text, "sender": "agent"},
        headers=auth,
    )
    assert sent.status_code == 201, sent.text


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")


def _subject(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def _mails(runtime: Runtime, port: int) -> list[tuple[list[str], Message]]:
    with smtp_server(port) as inbox:
        Dispatcher(runtime).run_due(NOW)
    return list(inbox)


def test_the_visitor_gets_the_transcript_by_email(
    runtime: Runtime, client: TestClient[Any], port: int
) -> None:
    conversation, page = _start(client, "ana@globex.test", "My invoice is wrong.")
    _answer(runtime, client, conversation, "I am fixing it now.")
    shown = client.get(page, headers={"accept-language": "en"})
    assert 'action="' + page + '/transcript"' in shown.text
    assert "E-mail me this conversation" in shown.text
    asked = client.post(f"{page}/transcript", data={}, headers=OWN, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == f"{page}?transcript=sent"
    back = client.get(asked.headers["location"], headers={"accept-language": "en"})
    assert "A copy of this conversation is on its way to your e-mail address." in back.text
    ((to, mail),) = _mails(runtime, port)
    assert to == ["ana@globex.test"] and _subject(mail) == "Your conversation with acme"
    body = _text(mail)
    assert "You: My invoice is wrong.\nAgent: I am fixing it now." in body
    assert body.startswith("Here is your conversation of May 3, 2027")
    deliveries = rows(runtime, "acme", "_deliveries")
    assert [(d["status"], d["target"], d["template"]) for d in deliveries] == [
        ("sent", "ana@globex.test", "chat_transcript")
    ]


def test_a_closed_conversation_is_mailed_whole_in_the_visitors_language(
    runtime: Runtime, client: TestClient[Any], port: int
) -> None:
    conversation, page = _start(client, "ana@globex.test", "¿Tienen factura?")
    _answer(runtime, client, conversation, "Sí, se la envío.")
    auth = {"authorization": "Bearer " + runtime.registry.create_token("acme", "admin@acme.test")}
    closed = client.post(
        f"/t/acme/api/conversation/{conversation}/transitions/close", json={}, headers=auth
    )
    assert closed.status_code == 200, closed.text
    asked = client.post(
        f"{page}/transcript", content="{}", headers={**JSON_OWN, "accept-language": "es"}
    )
    assert asked.status_code == 202 and asked.json() == {"queued": True}
    ((to, mail),) = _mails(runtime, port)
    assert to == ["ana@globex.test"] and _subject(mail) == "Su conversación con acme"
    body = _text(mail)
    assert "Usted: ¿Tienen factura?\nAgente: Sí, se la envío." in body, body
    assert body.startswith("Esta es su conversación del ")
    assert body.rstrip().endswith("Gracias por ponerse en contacto con nosotros.")


def test_no_address_no_transcript_and_a_forged_token_is_not_found(
    runtime: Runtime, client: TestClient[Any], port: int
) -> None:
    _, page = _start(client, None, "Anonymous question")
    refused = client.post(f"{page}/transcript", content="{}", headers=JSON_OWN)
    assert refused.status_code == 422
    assert refused.json() == {
        "errors": {"email": ["This conversation has no e-mail address to send it to."]}
    }
    as_form = client.post(f"{page}/transcript", data={}, headers=OWN)
    assert as_form.status_code == 422
    assert "This conversation has no e-mail address to send it to." in as_form.text
    forged = client.post(f"{page}x/transcript", content="{}", headers=JSON_OWN)
    assert forged.status_code == 404
    assert [r for r in rows(runtime, "acme", "_outbox") if r["kind"] == "chat_transcript"] == []
    assert _mails(runtime, port) == []
