"""The home page ("my work"): panels from metadata, scoped like every list."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

from litestar.testing import TestClient

from trellis.platform.notifications import add_notification
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import create, screen_problems, signed_in_client, update
from ui_support import add_user, crm_tenant


def _notify(runtime: Runtime, user: int, text: str) -> None:
    app = runtime.app("acme")
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        add_notification(
            conn, app.metadata, user_id=user, text=text, kind="rule", at=runtime.clock.now()
        )


def _home(runtime: Runtime, email: str, headers: dict[str, str] | None = None) -> str:
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", email)
        response = client.get("/t/acme/", headers=headers or {})
        assert response.status_code == 200, response.text
        assert screen_problems(response.text) == []
        return response.text


def _section(html: str, kind: str) -> str:
    start = html.index(f'data-kind="{kind}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_home_shows_a_reps_work_and_an_admins(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Initech"})
    deal = {"account": account["id"], "currency": "EUR", "amount": "1200"}
    create(runtime, "acme", "rep@acme.test", "opportunity", {"name": "Rep deal", **deal})
    create(runtime, "acme", "admin@acme.test", "opportunity", {"name": "Admin deal", **deal})
    past = (runtime.clock.now() - timedelta(days=2)).isoformat()
    later = (runtime.clock.now() + timedelta(days=2)).isoformat()
    create(runtime, "acme", "rep@acme.test", "activity", {"subject": "Call CFO", "due_at": past})
    create(runtime, "acme", "rep@acme.test", "activity", {"subject": "Demo", "due_at": later})
    done = {"subject": "Old task", "done": True}
    create(runtime, "acme", "rep@acme.test", "activity", done)
    moved = create(runtime, "acme", "rep@acme.test", "activity", {"subject": "Handed over"})
    admin = runtime.registry.user_id("admin@acme.test")
    update(runtime, "acme", "admin@acme.test", "activity", moved["id"], {"owner_id": admin})
    create(runtime, "acme", "admin@acme.test", "ticket", {"subject": "Printer on fire"})
    _notify(runtime, rep, "Rep deal was assigned to you")

    html = _home(runtime, "rep@acme.test")
    assert "Welcome" not in html and "My work" in html
    tasks = _section(html, "activities")
    assert "Call CFO" in tasks and "Demo" in tasks and "Old task" not in tasks
    assert tasks.index("Call CFO") < tasks.index("Demo")  # the overdue one first, flagged
    assert tasks.count("Overdue") == 1
    deals = _section(html, "pipeline")
    assert "Rep deal" in deals and "Admin deal" not in deals
    assert "Prospecting" in deals and "Won" not in deals
    stage = re.search(r'href="(/t/acme/e/opportunity\?filter=[^"]+)"', deals)
    assert stage is not None and "current_user" in unquote(stage.group(1))
    recent = _section(html, "recent")
    assert "Rep deal" in recent and "Handed over" not in recent  # now out of the rep's scope
    assert "Rep deal was assigned to you" in _section(html, "notifications")
    assert 'data-kind="assigned"' not in html  # the rep may not read tickets

    html = _home(runtime, "admin@acme.test")
    deals = _section(html, "pipeline")
    assert "Admin deal" in deals and "Rep deal" not in deals
    tickets = _section(html, "assigned")
    assert "Printer on fire" in tickets and "SLA on track" in tickets
    assert "Handed over" in _section(html, "activities")
    assert "You are all caught up." in _section(html, "notifications")


def test_empty_home_says_what_to_do_next_in_spanish(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    html = _home(runtime, "rep@acme.test", {"Accept-Language": "es"})
    deals = _section(html, "pipeline")
    assert "No hay" in deals and 'href="/t/acme/e/opportunity/new"' in deals
    assert "Elementos recientes" in html
