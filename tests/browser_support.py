"""Browser-test fixtures: a real server on a free port and Debian's Chromium via Playwright.

The root conftest imports the fixtures (a second ``conftest.py`` would shadow the first
under pytest's ``prepend`` import mode).

The browser is the system package (``/usr/bin/chromium``, or ``TRELLIS_CHROMIUM``);
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from trellis.platform.api.http_protocol import http_protocol
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, crm_tenant

CHROMIUM = os.environ.get("TRELLIS_CHROMIUM", "/usr/bin/chromium")
#: Flags that keep Chromium quiet on a machine without network access.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """Trellis served by uvicorn in a thread of the test process."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.port = _free_port()
        config = uvicorn.Config(
            create_web_app(runtime),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            http=http_protocol("auto"),  # what ``trellis serve`` runs
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving and wait until the socket accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A CRM tenant ``acme`` (SQLite, embedded mode) served on a free port."""
    data = tmp_path_factory.mktemp("browser-data")
    runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install the chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def _console(tab: Any, message: Any) -> None:
    """Keep script errors and CSP refusals; failed HTTP statuses are asserted elsewhere."""
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        tab.errors.append(message.text)


@pytest.fixture
def page(browser: Any, live: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) with console errors collected."""
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda msg: _console(tab, msg))
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    yield tab
    context.close()


def sign_in_browser(tab: Any, email: str = "admin@acme.test") -> None:
    """Sign in through the real form."""
    tab.goto("/t/acme/login")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill("correct horse battery")
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/t/acme/")


def wait_for_editor(tab: Any, box_id: str) -> None:
    """Wait until the in-place editor's box has the focus and htmx has bound its form.

    htmx processes the swapped-in form and everything in it in one step; it keeps an
    ``initHash`` in the form's internal data once done.
    """
    tab.wait_for_function(
        "id => { const box = document.getElementById(id);"
        " const form = box && box.closest('form');"
        " const data = form && form['htmx-internal-data'];"
        " return document.activeElement === box && !!(data && data.initHash); }",
        arg=box_id,
    )


def open_in_place(tab: Any, field: str) -> Any:
    """Open a field's in-place editor and return its box once htmx has wired it.

    htmx binds the box's triggers when the fragment settles, but Chromium may focus
    the inserted ``autofocus`` box on its own before that, so typing as soon as the
    focus arrives can be lost: wait until the box has the focus *and* htmx has
    processed its form, then type.
    """
    box_id = f"inline-s-{field}-input"
    tab.locator(f"#inline-s-{field} button.inline-value").click()
    wait_for_editor(tab, box_id)
    return tab.locator(f"#{box_id}")
