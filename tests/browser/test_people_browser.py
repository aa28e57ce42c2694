"""Invite someone in a real browser, follow the link of the e-mail a real SMTP server
received, set a password and land in the tenant."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from trellis.platform.config import RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime

from browser_support import LiveServer, sign_in_browser
from jobs_helpers import free_port, smtp_server
from ui_support import crm_tenant

LINK = re.compile(r"http://127\.0\.0\.1:[0-9]+(/t/acme/invitation/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+)")
WAIT = 60_000  # ms: a busy machine


def serious_violations(tab: Any) -> list[str]:
    """Serious and critical axe-core violations of the current page (rule ids)."""
    if not tab.evaluate("typeof window.axe === 'object'"):
        tab.evaluate(AXE_SCRIPT)
    found = tab.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [v["id"] for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def mail_port() -> int:
    """The port of the SMTP server the tenant's mail goes to."""
    return free_port()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, mail_port: int) -> Iterator[LiveServer]:
    """A CRM tenant ``acme`` served on a free port, mailing through ``mail_port``."""
    data = tmp_path_factory.mktemp("people-data")
    config = RuntimeConfig(data_dir=Path(data), smtp_url=f"smtp://127.0.0.1:{mail_port}")
    runtime = Runtime(config)
    crm_tenant(runtime)
    server = LiveServer(runtime)
    server.start()
    yield server
    server.stop()
    runtime.close()


def test_invite_follow_the_mailed_link_set_a_password_and_land_in_the_tenant(
    page: Any, browser: Any, live: LiveServer, mail_port: int
) -> None:
    sign_in_browser(page)
    page.goto("/t/acme/admin/jobs")
    page.get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url("**/t/acme/admin/users")
    assert serious_violations(page) == []
    page.get_by_label("E-mail address").fill("ines@example.com")
    page.get_by_label("sales_rep", exact=True).check()
    page.get_by_label("Language of the e-mail").select_option("en")
    page.get_by_role("button", name="Send invitation", exact=True).click()
    notice = page.locator("#people-notice")
    notice.wait_for(timeout=WAIT)
    assert "Invitation sent to ines@example.com" in notice.inner_text()
    assert "ines@example.com as sales_rep" in page.locator("#open-invitations").inner_text()
    with smtp_server(mail_port) as inbox:
        assert Dispatcher(live.runtime).run_due().tenants["acme"].done == 1
    ((to, message),) = inbox
    assert to == ["ines@example.com"]
    found = LINK.search(message.get_payload(decode=True).decode())
    assert found is not None
    assert page.errors == []

    # The invitee reads Spanish (their browser's language).
    context = browser.new_context(
        base_url=live.url, locale="es", viewport={"width": 390, "height": 860}
    )
    guest = context.new_page()
    try:
        guest.goto(found.group(0))
        assert serious_violations(guest) == []
        guest.get_by_label("Su nombre").fill("Inés")
        guest.get_by_label("Elija una contraseña").fill("plum tree lantern 42")
        guest.get_by_label("Repita la contraseña").fill("plum tree lantern 42")
        guest.get_by_role("button", name="Fijar la contraseña y unirse", exact=True).click()
        guest.wait_for_url("**/t/acme/", timeout=WAIT)
        assert "ines@example.com" in guest.locator(".usermenu summary").inner_text()
        assert guest.evaluate("() => document.documentElement.lang") == "es"
        guest.goto(found.group(0))
        assert "ya se ha usado" in guest.locator("#invitation-refused").inner_text()
    finally:
        context.close()

    page.reload()
    row = page.locator("#people-list tr", has_text="Inés")
    row.wait_for(timeout=WAIT)
    assert "ines@example.com" in row.inner_text() and "sales_rep" in row.inner_text()
    assert page.errors == []
