"""Regenerate docs/screenshots/*.png: the main screens on a desktop and a phone.

Run from the repository root: ``python docs/make_screenshots.py``. It serves a fresh
CRM tenant with sample records from a temporary directory and drives Debian's Chromium
(``/usr/bin/chromium`` or ``TRELLIS_CHROMIUM``) with Playwright for Python.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright

import trellis.seed.crm
from trellis.platform.api.gate import ApiGate
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

OUT = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("TRELLIS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PASSWORD = "correct horse battery"
SCREENS = [
    ("home", "/t/demo/"),
    ("list", "/t/demo/e/opportunity"),
    ("detail", "/t/demo/e/account/1"),
    ("form", "/t/demo/e/opportunity/new"),
    ("kanban", "/t/demo/e/opportunity/kanban"),
    ("calendar", "/t/demo/calendar"),
    ("dashboard", "/t/demo/dashboards/sales"),
    ("notifications", "/t/demo/notifications"),
]


def _sample(runtime: Runtime) -> None:
    """A few accounts, contacts and opportunities so the screens have something to show."""
    api = ApiGate(runtime)
    user_id = runtime.registry.user_id("admin@demo.test") or 0
    identity = runtime.registry.member_identity("demo", user_id)
    if identity is None:
        raise RuntimeError("the demo admin is missing")
    call = api.call_as("demo", identity)

    def create(entity: str, data: dict[str, Any]) -> int:
        target = call.app.entities[entity]
        return int(api.services.records.create(call, target, data).record["id"])

    names = ["Northwind Traders", "Contoso", "Globex", "Initech", "Umbrella"]
    stages = ["prospecting", "qualification", "proposal", "negotiation", "won"]
    for i, name in enumerate(names):
        account = create("account", {"name": name, "industry": "technology"})
        create("contact", {"first_name": "Ann", "last_name": f"Lee {i}", "account": account})
        for j, stage in enumerate(stages[: 5 - i]):
            data = {
                "name": f"{name} deal {j + 1}",
                "account": account,
                "amount": str(5000 * (i + j + 1)),
                "stage": stage,
                "close_date": f"2026-{(i + j) % 12 + 1:02d}-15",
            }
            create("opportunity", data)


def main() -> None:
    """Serve a demo tenant and capture every screen in two window sizes."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        runtime.registry.create_tenant("demo")
        publish(runtime, "demo", Path(trellis.seed.crm.__file__).parent)
        user = runtime.registry.ensure_user("admin@demo.test", PASSWORD)
        runtime.registry.add_membership("demo", user, ["admin"])
        _sample(runtime)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                create_web_app(runtime), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for device, viewport in (("desktop", (1280, 800)), ("phone", (390, 844))):
                    context = browser.new_context(
                        base_url=f"http://127.0.0.1:{port}",
                        viewport={"width": viewport[0], "height": viewport[1]},
                    )
                    page = context.new_page()
                    page.goto("/t/demo/login")
                    page.get_by_label("Email").fill("admin@demo.test")
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_url("**/t/demo/")
                    for name, url in SCREENS:
                        response = page.goto(url)
                        if response is None or response.status >= 400:
                            print(f"skipped {name}: {url} answered {response and response.status}")
                            continue
                        page.screenshot(path=str(OUT / f"{name}-{device}.png"), full_page=False)
                        print(f"wrote {name}-{device}.png")
                    context.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            runtime.close()


if __name__ == "__main__":
    main()
