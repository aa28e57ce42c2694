"""In Chromium: a ticket's SLA badge counts down on the record header, and shows
"SLA paused" (no countdown) there and on the list while the ticket waits for the
customer, then counts down again once it is resumed."""

from __future__ import annotations

from typing import Any

import httpx

from browser_support import LiveServer, sign_in_browser

BADGE = "document.querySelector('#record-sla')"
RUNNING = f"() => {{ const b = {BADGE}; return !!b && b.dataset.sla !== 'paused'; }}"
PAUSED = f"() => {{ const b = {BADGE}; return !!b && b.dataset.sla === 'paused'; }}"


def _api(live: LiveServer) -> httpx.Client:
    token = live.runtime.registry.create_token("acme", "admin@acme.test")
    headers = {"authorization": f"Bearer {token}"}
    return httpx.Client(base_url=f"{live.url}/t/acme/api", headers=headers, timeout=60)


def _move(api: httpx.Client, ident: int, step: str) -> None:
    moved = api.post(f"ticket/{ident}/transitions/{step}")
    assert moved.status_code == 200, moved.text


def test_a_waiting_ticket_shows_its_sla_paused(page: Any, live: LiveServer) -> None:
    with _api(live) as api:
        made = api.post("ticket", json={"subject": "Printer on fire", "priority": "high"})
        assert made.status_code == 201, made.text
        ident = int(made.json()["id"])
        _move(api, ident, "open")
        sign_in_browser(page)
        page.goto(f"/t/acme/e/ticket/{ident}")
        page.wait_for_function(RUNNING, timeout=60_000)
        assert page.locator("#record-sla").inner_text().startswith("SLA")

        _move(api, ident, "wait")
        page.goto(f"/t/acme/e/ticket/{ident}")
        page.wait_for_function(PAUSED, timeout=60_000)
        assert page.locator("#record-sla").inner_text() == "SLA paused"
        page.goto("/t/acme/e/ticket")
        row = page.locator(f'tr[data-href="/t/acme/e/ticket/{ident}"]')
        assert row.locator('[data-sla="paused"]').inner_text() == "SLA paused"

        _move(api, ident, "resume")
        page.goto(f"/t/acme/e/ticket/{ident}")
        page.wait_for_function(RUNNING, timeout=60_000)
        assert page.locator("#record-sla").inner_text() != "SLA paused"
    assert page.errors == []
