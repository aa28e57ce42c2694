"""Regenerate docs/screenshots/*.png: the main screens on a desktop and a phone.

Run from the repository root: ``python docs/make_screenshots.py [NAME ...]`` (names from
``SCREENS``; none: all of them). It serves a fresh CRM tenant with the CRM's demo data
(fixed seed and anchor, small scale) from a temporary directory and drives Debian's
Chromium (``/usr/bin/chromium`` or ``TRELLIS_CHROMIUM``) with Playwright for Python.
Each PNG is reduced to a 256-colour palette with Pillow, which keeps it small.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import sync_playwright

from trellis.cli import create_tenant
from trellis.platform.config import RuntimeConfig
from trellis.platform.demo_data import create_demo, demo_files
from trellis.platform.runtime import Runtime
from trellis.seed.crm import PACKAGE_PATH as CRM_PACKAGE
from trellis.ui.screens.app import create_web_app

OUT = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("TRELLIS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ADMIN = "admin@demo.test"
PASSWORD = "correct horse battery"
DEMO_SCALE = 0.2
DEMO_SEED = 7
DEMO_ANCHOR = date(2026, 11, 30)
BOTH = ("desktop", "phone")
DESKTOP = ("desktop",)
#: (name, address, sizes): designers are admin work, shown on a desktop only.
SCREENS = [
    ("home", "/t/demo/", BOTH),
    ("list", "/t/demo/e/opportunity", BOTH),
    ("detail", "/t/demo/e/account/1", BOTH),
    ("form", "/t/demo/e/opportunity/new", BOTH),
    ("kanban", "/t/demo/e/opportunity/kanban", BOTH),
    ("calendar", "/t/demo/calendar", BOTH),
    ("dashboard", "/t/demo/dashboards/sales", BOTH),
    ("notifications", "/t/demo/notifications", BOTH),
    ("chat-queue", "/t/demo/chat", BOTH),
    ("dashboard-designer", "/t/demo/admin/dashboards/sales", DESKTOP),
    ("workflow-designer", "/t/demo/admin/workflows/ticket_flow", DESKTOP),
    ("mail-designer", "/t/demo/admin/email-templates/deal_won", DESKTOP),
    ("form-designer", "/t/demo/admin/public-forms/web-to-lead", DESKTOP),
]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _small_png(path: Path) -> None:
    """Rewrite ``path`` as a 256-colour palette PNG (a screen has few colours)."""
    with Image.open(path) as shot:
        palette = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    palette.save(path, optimize=True)


def _demo_tenant(runtime: Runtime) -> None:
    """Tenant ``demo`` from the CRM template, with its demo data (the same every run)."""
    create_tenant(runtime, "demo", "crm", ADMIN, PASSWORD)
    files = demo_files(Path(str(CRM_PACKAGE)))
    create_demo(
        runtime,
        "demo",
        files,
        admin=ADMIN,
        scale=DEMO_SCALE,
        seed=DEMO_SEED,
        anchor=DEMO_ANCHOR,
    )


def _capture(port: int, wanted: set[str]) -> None:
    """Sign in on each window size and capture the ``wanted`` screens."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for device, (width, height) in SIZES.items():
            context = browser.new_context(
                base_url=f"http://127.0.0.1:{port}", viewport={"width": width, "height": height}
            )
            page = context.new_page()
            page.goto("/t/demo/login")
            page.get_by_label("Email").fill(ADMIN)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/t/demo/")
            for name, url, devices in SCREENS:
                if name not in wanted or device not in devices:
                    continue
                response = page.goto(url)
                if response is None or response.status >= 400:
                    print(f"skipped {name}: {url} answered {response and response.status}")
                    continue
                page.wait_for_load_state("networkidle")
                path = OUT / f"{name}-{device}.png"
                page.screenshot(path=str(path), full_page=False)
                _small_png(path)
                print(f"wrote {path.name} ({path.stat().st_size // 1024} KB)")
            context.close()
        browser.close()


def main(names: list[str]) -> None:
    """Serve a demo tenant and capture the screens ``names`` (all when empty)."""
    known = {name for name, _, _ in SCREENS}
    unknown = sorted(set(names) - known)
    if unknown:
        raise SystemExit(f"unknown screens {unknown}; choose from {sorted(known)}")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        runtime = Runtime(RuntimeConfig(data_dir=Path(data)))
        _demo_tenant(runtime)
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
            _capture(port, set(names) or known)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            runtime.close()


if __name__ == "__main__":
    main(sys.argv[1:])
