"""In a real Chromium: a visitor chats in Spanish; an agent's answer appears live (the
event stream) and the visitor's next message is sent by the widget's script, with no CSP
violation and no console error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from trellis.cli import create_tenant
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from browser_support import LiveServer

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
}, true);
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A CRM tenant ``chatweb`` (SQLite) served on a free port, and its admin's token."""
    data = tmp_path_factory.mktemp("chat-browser")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    create_tenant(runtime, "chatweb", "crm", "boss@crm.test", "long enough secret")
    token = runtime.registry.create_token("chatweb", "boss@crm.test")
    server = LiveServer(runtime)
    server.start()
    yield server, token
    server.stop()
    runtime.close()


def test_visitor_chats_and_gets_the_answer_live(browser: Any, live: tuple[LiveServer, str]) -> None:
    server, token = live
    context = browser.new_context(base_url=server.url, locale="es-ES")
    context.add_init_script(WATCH)
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    tab.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))

    tab.goto("/p/chatweb/chat")
    assert tab.locator("h1").inner_text() == "Hable con nosotros"
    tab.locator("#chat-name").fill("Ana")
    tab.locator("#chat-message").fill("Hola, mi pedido no llega")
    tab.get_by_role("button", name="Empezar el chat").click()
    tab.wait_for_load_state()
    assert tab.locator("#chat-log li").all_inner_texts() == ["Usted Hola, mi pedido no llega"]

    api = f"{server.url}/t/chatweb/api"
    with httpx.Client(headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
        conversation = client.get(f"{api}/conversation").json()["items"][0]["id"]
        answer = {"conversation": conversation, "body": "Sale hoy <b>mismo</b>"}
        assert client.post(f"{api}/chat_message", json=answer).status_code == 201
    agent = tab.locator("#chat-log li.agent")
    agent.wait_for(timeout=10_000)  # the stream polls every 0.5 s
    assert agent.inner_text() == "Agente Sale hoy <b>mismo</b>"  # text, never markup

    tab.locator("#chat-message").fill("¡Gracias!")
    tab.get_by_role("button", name="Enviar").click()
    tab.locator("#chat-log li.visitor", has_text="¡Gracias!").wait_for(timeout=10_000)
    assert tab.locator("#chat-message").input_value() == ""
    assert tab.locator("#chat-log li").count() == 3
    assert tab.evaluate("window.__violations") == []
    assert [m for m in console if m.startswith(("error", "pageerror"))] == []
    context.close()
