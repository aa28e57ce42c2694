"""In a real Chromium: a visitor of the CRM's help centre searches, opens an article and
votes once, in Spanish, with no CSP violation and no console error."""

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
ARTICLES = [
    ("Restablecer la contraseña", "<p>Abra <b>Ajustes</b> y elija Contraseña.</p>", "public"),
    ("Cambiar el idioma", "<p>Abra su perfil.</p>", "public"),
    ("Política de contraseñas interna", "<p>Solo agentes.</p>", "internal"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A CRM tenant ``kbweb`` (SQLite) with three Spanish articles, served on a free port."""
    data = tmp_path_factory.mktemp("kb-browser")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    create_tenant(runtime, "kbweb", "crm", "boss@crm.test", "long enough secret")
    token = runtime.registry.create_token("kbweb", "boss@crm.test")
    server = LiveServer(runtime)
    server.start()
    api = f"{server.url}/t/kbweb/api"
    auth = {"authorization": f"Bearer {token}"}
    with httpx.Client(headers=auth, timeout=30) as client:
        for title, body, visibility in ARTICLES:
            fields = {"title": title, "body": body, "language": "es", "visibility": visibility}
            made = client.post(f"{api}/knowledge_article", json=fields)
            assert made.status_code == 201, made.text
            for step in ("submit", "publish"):
                moved = client.post(
                    f"{api}/knowledge_article/{made.json()['id']}/transitions/{step}"
                )
                assert moved.status_code == 200, moved.text
    yield server
    server.stop()
    runtime.close()


def _votes(live: LiveServer, title: str) -> tuple[int, int]:
    rt = live.runtime
    table = rt.app("kbweb").entities["knowledge_article"].table
    with rt.engines.tenant_connection("kbweb") as conn:
        row = conn.execute(table.select().where(table.c.title == title)).mappings().one()
    return int(row["helpful_yes"]), int(row["helpful_no"])


def test_visitor_searches_reads_and_votes_in_spanish(browser: Any, live: LiveServer) -> None:
    context = browser.new_context(base_url=live.url, locale="es-ES")
    context.add_init_script(WATCH)
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    tab.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))

    tab.goto("/p/kbweb/kb")
    assert tab.locator("h1").inner_text() == "Centro de ayuda"
    assert tab.locator("#portal-items li").count() == 2  # the internal article is not listed
    tab.get_by_label("Buscar").fill("contrasena")
    tab.get_by_role("button", name="Buscar", exact=True).click()
    tab.wait_for_load_state()
    links = tab.locator("#portal-items a")
    assert links.all_inner_texts() == ["Restablecer la contraseña"]
    links.first.click()
    tab.wait_for_load_state()
    assert tab.locator("h1").inner_text() == "Restablecer la contraseña"
    assert tab.locator("#portal-body b").inner_text() == "Ajustes"
    assert tab.locator("#vote-heading").inner_text() == "¿Le resultó útil?"
    tab.get_by_role("button", name="Sí", exact=True).click()
    tab.locator("#vote-thanks").wait_for()
    assert tab.locator("#vote-thanks").inner_text() == "Gracias por su valoración."
    assert _votes(live, "Restablecer la contraseña") == (1, 0)
    # The same visitor (its signed cookie) comes back: the buttons are gone for good.
    tab.get_by_role("link", name="Centro de ayuda", exact=True).click()
    tab.wait_for_load_state()
    tab.locator("#portal-items a", has_text="Restablecer la contraseña").click()
    tab.locator("#vote-again").wait_for()
    assert tab.locator("#vote-again").inner_text() == "Ya ha valorado esta página. Gracias."
    assert tab.get_by_role("button", name="Sí", exact=True).count() == 0
    assert _votes(live, "Restablecer la contraseña") == (1, 0)
    assert tab.evaluate("window.__violations") == []
    assert [m for m in console if m.startswith(("error", "pageerror"))] == []
    context.close()
