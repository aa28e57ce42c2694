"""The notifications inbox and the unread badge of the top bar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from litestar.testing import TestClient

from trellis.platform.notifications import add_notification, list_for_user, unread_count
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import create, screen_problems, signed_in_client
from ui_support import add_user, crm_tenant, post_form

BADGE = re.compile(r'<span class="badge" id="unread-count">(\d+)</span>')


def _note(
    runtime: Runtime,
    user: int,
    text: str,
    kind: str,
    minutes: int,
    entity: str | None = None,
    record_id: int | None = None,
) -> int:
    app = runtime.app("acme")
    at = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        return add_notification(
            conn,
            app.metadata,
            user_id=user,
            text=text,
            kind=kind,
            at=at,
            entity=entity,
            record_id=record_id,
        )


def _badge(html: str) -> int:
    found = BADGE.search(html)
    return int(found.group(1)) if found else 0


def test_inbox_lists_notifications_with_unread_styling_and_badge(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    other = add_user(runtime, "acme", "other@acme.test", ["sales_rep"])
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Globex"})
    first = _note(runtime, rep, "Deal <b>assigned</b>", "assignment", 1, "account", account["id"])
    _note(runtime, rep, "Rule says hi", "rule", 2)
    _note(runtime, other, "Not for rep", "mention", 3)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        assert _badge(client.get("/t/acme/").text) == 2
        html = client.get("/t/acme/notifications").text
        assert html.index("Rule says hi") < html.index("Deal &lt;b&gt;assigned&lt;/b&gt;")
        assert "Not for rep" not in html
        assert html.count('class="note unread"') == 2
        assert "Assignment" in html and "Rule" in html
        assert f'name="next" value="/t/acme/e/account/{account["id"]}"' in html
        assert "Mark all read" in html
        assert screen_problems(html) == []
        opened = post_form(
            client,
            f"/t/acme/notifications/{first}/read",
            {"next": f"/t/acme/e/account/{account['id']}"},
            follow_redirects=False,
        )
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/t/acme/e/account/{account['id']}"
        html = client.get("/t/acme/notifications").text
        assert _badge(html) == 1
        assert html.count('class="note unread"') == 1 and html.count('class="note read"') == 1
        assert f'<a class="button small" href="/t/acme/e/account/{account["id"]}">Open</a>' in html
        unread_only = client.get("/t/acme/notifications?show=unread").text
        assert "Rule says hi" in unread_only and "assigned" not in unread_only
        done = post_form(client, "/t/acme/notifications/read-all", {}, follow_redirects=False)
        assert done.status_code == 303
        html = client.get(done.headers["location"]).text
        assert "1 notification marked read." in html
        assert _badge(html) == 0 and "All caught up" in html
    assert unread_count(runtime, "acme", rep) == 0
    assert unread_count(runtime, "acme", other) == 1


def test_marking_is_protected_and_limited_to_ones_own_notifications(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    other = add_user(runtime, "acme", "other@acme.test", ["sales_rep"])
    mine = _note(runtime, rep, "Mine", "rule", 1)
    theirs = _note(runtime, other, "Theirs", "rule", 2)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        assert client.post(f"/t/acme/notifications/{mine}/read").status_code == 403  # no CSRF
        assert client.post("/t/acme/notifications/read-all").status_code == 403
        assert post_form(client, f"/t/acme/notifications/{theirs}/read", {}).status_code == 404
        assert post_form(client, "/t/acme/notifications/999/read", {}).status_code == 404
        assert post_form(client, "/t/acme/notifications/abc/read", {}).status_code in (400, 404)
        elsewhere = post_form(
            client,
            f"/t/acme/notifications/{mine}/read",
            {"next": "https://evil.test/"},
            follow_redirects=False,
        )
        assert elsewhere.headers["location"] == "/t/acme/notifications"
        assert client.get("/t/acme/notifications?show=maybe").status_code == 400
        assert client.get("/t/acme/notifications?before=x").status_code == 400
    assert [n["read"] for n in list_for_user(runtime, "acme", other)] == [False]
    with TestClient(app=create_web_app(runtime)) as client:
        anonymous = client.get("/t/acme/notifications", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/t/acme/login")


def test_inbox_pages_fifty_at_a_time(runtime: Runtime) -> None:
    crm_tenant(runtime)
    rep = add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    for n in range(55):
        _note(runtime, rep, f"note {n:02d}", "reminder", n)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        html = client.get("/t/acme/notifications").text
        assert html.count('class="note unread"') == 50
        assert "note 54" in html and "note 04" not in html
        older = re.search(r'href="(/t/acme/notifications\?show=all&amp;before=\d+)"', html)
        assert older is not None
        rest = client.get(older.group(1).replace("&amp;", "&")).text
        assert rest.count('class="note unread"') == 5
        assert "note 04" in rest and "note 05" not in rest
        assert ">Older<" not in rest and ">Newest<" in rest
