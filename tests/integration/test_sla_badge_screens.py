"""The SLA badge on the record header and the list: the hours left while a clock runs,
"SLA paused" (no countdown) while ``pause_when`` holds, then the countdown again; on
SQLite and PostgreSQL, English and Spanish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import FakeClock
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, sign_in

TICKET = """\
label: Ticket
title: subject
fields:
  subject: {type: string, required: true}
  priority: {type: enum, options: [high, low], default: '"low"'}
  status: {type: enum, options: [open, pending, closed], default: '"open"'}
  breached: {type: boolean, default: 'false'}
layouts:
  list: {columns: [subject, priority, status]}
"""
SLA = """\
priority_field: priority
pause_when: 'status == "pending"'
targets:
  reply:
    met_when: 'status == "closed"'
    hours: {high: 2, low: 8}
on_breach:
  set_field: breached
"""


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


def _tenant(runtime: Runtime, tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    for folder, text in (("entities", TICKET), ("sla", SLA)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "ticket.yaml").write_text(text)
    (root / "app.yaml").write_text("name: badge\nversion: 1.0.0\nlabel: Badge\n")
    runtime.registry.create_tenant("slab")
    publish(runtime, "slab", root)
    add_user(runtime, "slab", "admin@slab.test", ["admin"])


def _badges(html: str) -> list[tuple[str, str]]:
    """(state, text) of every SLA badge of a page."""
    found = []
    for part in html.split('data-sla="')[1:]:
        state, rest = part.split('"', 1)
        found.append((state, rest.split(">", 1)[1].split("<", 1)[0]))
    return found


def test_a_paused_clock_shows_paused_instead_of_counting_down(
    runtime: Runtime, clock: FakeClock, tmp_path: Path
) -> None:
    _tenant(runtime, tmp_path)
    token = runtime.registry.create_token("slab", "admin@slab.test")
    auth = {"authorization": f"Bearer {token}"}
    with TestClient(app=create_web_app(runtime)) as client:
        made = client.post("/t/slab/api/ticket", json={"subject": "Printer", "priority": "high"},
                           headers=auth)  # fmt: skip
        assert made.status_code == 201, made.text
        rid = made.json()["id"]
        other = client.post("/t/slab/api/ticket", json={"subject": "Mouse"}, headers=auth)

        def later(seconds: int) -> None:
            """Move the clock, then sign in again (the session's idle timeout)."""
            clock.advance(seconds)
            assert sign_in(client, "slab", "admin@slab.test").status_code in (302, 303)

        en: dict[str, Any] = {"headers": {"accept-language": "en"}}
        es: dict[str, Any] = {"headers": {"accept-language": "es"}}

        later(30 * 60)
        page = client.get(f"/t/slab/e/ticket/{rid}", **en)
        assert page.status_code == 200, page.text
        assert 'id="record-sla"' in page.text
        assert _badges(page.text) == [("running", "SLA: 1.5 h left")]

        moved = client.patch(f"/t/slab/api/ticket/{rid}", json={"status": "pending"}, headers=auth)
        assert moved.status_code == 200, moved.text
        later(5 * 3600)  # paused time is not spent
        page = client.get(f"/t/slab/e/ticket/{rid}", **en)
        assert _badges(page.text) == [("paused", "SLA paused")]
        assert "h left" not in page.text
        spanish = client.get(f"/t/slab/e/ticket/{rid}", **es)
        assert _badges(spanish.text) == [("paused", "SLA en pausa")]
        listed = client.get("/t/slab/e/ticket", **en)
        assert ("paused", "SLA paused") in _badges(listed.text)
        assert ("running", "SLA: 2.5 h left") in _badges(listed.text)  # the other, low: 8 h

        resumed = client.patch(f"/t/slab/api/ticket/{rid}", json={"status": "open"}, headers=auth)
        assert resumed.status_code == 200, resumed.text
        page = client.get(f"/t/slab/e/ticket/{rid}", **es)
        assert _badges(page.text) == [("running", "SLA: quedan 1,5 h")]
        later(2 * 3600)
        assert _badges(client.get(f"/t/slab/e/ticket/{rid}", **en).text) == [("due", "SLA due now")]
        closed = client.patch(f"/t/slab/api/ticket/{rid}", json={"status": "closed"}, headers=auth)
        assert closed.status_code == 200, closed.text
        assert _badges(client.get(f"/t/slab/e/ticket/{rid}", **en).text) == []
        assert other.status_code == 201
