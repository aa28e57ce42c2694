"""In a real Chromium: a visitor fills and submits a public form, standalone and embedded
in an allowed site, with no CSP violation and no console error; a foreign site cannot
frame it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from public_support import public_tenant

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from browser_support import LiveServer

THANKS = "Thank you. We have received your message."
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
}, true);
"""


class Site:
    """Another web site on this machine (another origin): serves ``pages`` by path."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    other = Site()
    yield other
    other.close()


@pytest.fixture(scope="module")
def live(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The public test package as tenant ``acme`` (SQLite), served on a free port."""
    data = tmp_path_factory.mktemp("public-browser")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data) / "data"))
    server = LiveServer(runtime)
    # A form that the other site may embed.
    embeddable = Path(data) / "pkg" / "forms" / "embedded.yaml"
    embeddable.parent.mkdir(parents=True)
    embeddable.write_text(
        f"entity: enquiry\nfields: [name, email, topic]\nallowed_origins: ['{site.url}']\n",
        encoding="utf-8",
    )
    public_tenant(runtime, Path(data) / "pkg")
    server.start()
    yield server
    server.stop()
    runtime.close()


def _names(live: LiveServer) -> list[str]:
    from trellis.platform.records.views import record_json

    rt = live.runtime
    entity = rt.app("acme").entities["enquiry"]
    with rt.engines.tenant_connection("acme") as conn:
        rows = conn.execute(entity.table.select()).mappings().all()
    return [str(record_json(entity, row, None)["name"]) for row in rows]


def test_visitor_fills_and_submits_the_form(browser: Any, live: LiveServer) -> None:
    context = browser.new_context(base_url=live.url, locale="es-ES")
    context.add_init_script(WATCH)
    tab = context.new_page()
    console: list[str] = []
    tab.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    tab.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))

    tab.goto("/p/acme/forms/contact-us")
    assert tab.locator("h1").inner_text() == "Contáctenos"
    tab.get_by_label("Su nombre").fill("spam")
    tab.get_by_label("Email").fill("ana@example.com")
    tab.get_by_label("Topic").select_option("sales")
    tab.get_by_role("button", name="Enviar").click()
    tab.wait_for_load_state()
    assert tab.locator("#err-name").inner_text() == "That is not a real name."
    assert tab.get_by_label("Su nombre").input_value() == "spam"  # values kept
    box = tab.locator(".trap").bounding_box()  # the honeypot is off screen
    assert box is not None and box["x"] + box["width"] <= 0
    tab.get_by_label("Su nombre").fill("Ana Browser")
    tab.get_by_role("button", name="Enviar").click()
    tab.wait_for_load_state()
    assert tab.locator("#public-message").inner_text() == "Gracias, le escribiremos."
    assert tab.evaluate("window.__violations") == []
    errors = [m for m in console if m.startswith(("error", "pageerror"))]
    # The refused post answers 422 (asserted above); nothing else may fail.
    assert [m for m in errors if "status of 422" not in m] == []
    assert "Ana Browser" in _names(live)
    context.close()


def test_embedded_in_an_allowed_site_only(browser: Any, live: LiveServer, site: Site) -> None:
    frame = '<!doctype html><title>site</title><iframe src="{}" width="600" height="700"></iframe>'
    site.pages["/embed"] = frame.format(f"{live.url}/p/acme/forms/embedded")
    site.pages["/foreign"] = frame.format(f"{live.url}/p/acme/forms/contact-us")
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{site.url}/embed")
    embedded = tab.frame_locator("iframe")
    embedded.get_by_label("Name").fill("Embedded")
    embedded.get_by_label("Email").fill("em@example.com")
    embedded.get_by_label("Topic").select_option("support")
    embedded.get_by_role("button", name="Send").click()
    embedded.locator("#public-message").wait_for()
    assert embedded.locator("#public-message").inner_text() == THANKS
    assert "Embedded" in _names(live)

    # The contact form allows only https://www.example.com: this site cannot frame it.
    tab.goto(f"{site.url}/foreign")
    tab.wait_for_load_state("networkidle")
    assert tab.frame_locator("iframe").locator("form").count() == 0
    context.close()
