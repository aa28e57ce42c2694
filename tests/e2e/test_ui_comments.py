"""Comments with @mentions on the detail page (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.db.tables import COMMENTS_TABLE
from trellis.platform.notifications import list_for_user
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import HTMX, create, screen_problems, signed_in_client
from ui_support import add_user, crm_tenant, post_form


def _setup(runtime: Runtime) -> dict[str, Any]:
    tenant = crm_tenant(runtime)
    ids = {
        "rep": add_user(runtime, tenant, "rep@acme.test", ["sales_rep"]),
        "other": add_user(runtime, tenant, "other@acme.test", ["sales_rep"]),
        "agent": add_user(
            runtime, tenant, "agent@acme.test", ["marketing"]
        ),  # reads no opportunity
        "boss": runtime.registry.ensure_user("boss@acme.test", None, "Dana Boss"),
    }
    runtime.registry.add_membership(tenant, ids["boss"], ["sales_manager"])
    account = create(runtime, tenant, "admin@acme.test", "account", {"name": "Globex"})
    deal = create(
        runtime,
        tenant,
        "rep@acme.test",
        "opportunity",
        {"name": "Big deal", "account": account["id"]},
    )
    return {"tenant": tenant, "ids": ids, "account": account["id"], "deal": deal["id"]}


def _comments(runtime: Runtime, tenant: str) -> list[Any]:
    table = runtime.app(tenant).metadata.tables[COMMENTS_TABLE]
    with runtime.engines.tenant_connection(tenant) as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.id)).mappings())


def test_comment_with_mentions_notifies_the_mentioned_members(runtime: Runtime) -> None:
    s = _setup(runtime)
    url = f"/t/acme/e/account/{s['account']}/comments"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        body = "Hi @rep@acme.test and @DanaBoss, please call them.\nThanks!"
        response = post_form(client, url, {"body": body}, headers=HTMX)
        assert response.status_code == 200
        html = response.text
        assert 'id="activity"' in html
        assert "Notified: rep, Dana Boss." in html
        assert '<span class="mention" title="rep">@rep@acme.test</span>' in html
        assert '<span class="mention" title="Dana Boss">@DanaBoss</span>' in html
        assert "please call them.<br>" in html
        detail = client.get(f"/t/acme/e/account/{s['account']}")
        assert "please call them." in detail.text
        assert 'action="/t/acme/e/account/' in detail.text
        assert '<option value="@boss@acme.test">Dana Boss (boss@acme.test)</option>' in detail.text
        assert screen_problems(detail.text) == []
        assert screen_problems(html) == []
    for who in ("rep", "boss"):
        notes = list_for_user(runtime, "acme", s["ids"][who])
        assert [(n["kind"], n["entity"], n["record_id"]) for n in notes] == [
            ("mention", "account", s["account"])
        ]
        assert "mentioned you on Account “Globex”" in notes[0]["text"]
    assert list_for_user(runtime, "acme", s["ids"]["other"]) == []
    rows = _comments(runtime, "acme")
    assert len(rows) == 1
    assert rows[0]["body"] == body
    assert sorted(user for _, user in rows[0]["mentions"]) == sorted(
        [s["ids"]["rep"], s["ids"]["boss"]]
    )


def test_comment_text_is_escaped_and_keeps_line_breaks(runtime: Runtime) -> None:
    s = _setup(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        body = '<script>alert("x")</script>\r\n<b>bold</b> & <img src=x onerror=y>'
        response = post_form(
            client, f"/t/acme/e/account/{s['account']}/comments", {"body": body}, headers=HTMX
        )
        assert response.status_code == 200
        assert "<script>alert" not in response.text
        assert "<b>bold</b>" not in response.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<br>" in response.text
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=y&gt;" in response.text
    assert _comments(runtime, "acme")[0]["body"] == (
        '<script>alert("x")</script>\n<b>bold</b> & <img src=x onerror=y>'
    )


def test_bad_comments_are_refused_with_a_clear_message(runtime: Runtime) -> None:
    s = _setup(runtime)
    url = f"/t/acme/e/account/{s['account']}/comments"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        empty = post_form(client, url, {"body": "  \n\t "}, headers=HTMX)
        assert empty.status_code == 422
        assert "Write something before posting a comment." in empty.text
        assert 'aria-invalid="true"' in empty.text
        long_text = "x" * 5001
        too_long = post_form(client, url, {"body": long_text}, headers=HTMX)
        assert too_long.status_code == 422
        assert "A comment has at most 5000 characters; this one has 5001." in too_long.text
        assert long_text in too_long.text  # the text is kept for fixing
        missing = post_form(client, url, {}, headers=HTMX)
        assert missing.status_code == 422
        plain = post_form(client, url, {"body": ""}, follow_redirects=False)
        assert plain.status_code == 303
        assert plain.headers["location"] == f"/t/acme/e/account/{s['account']}"
        no_csrf = client.post(url, data={"body": "hello"}, headers=HTMX)
        assert no_csrf.status_code == 403
    assert _comments(runtime, "acme") == []


def test_plain_form_post_redirects_back_with_a_flash(runtime: Runtime) -> None:
    s = _setup(runtime)
    url = f"/t/acme/e/account/{s['account']}/comments"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        response = post_form(client, url, {"body": "Ping @nobody"}, follow_redirects=False)
        assert response.status_code == 303
        page = client.get(response.headers["location"])
        assert "Comment posted. No single member matches @nobody." in page.text
        assert "Ping @nobody" in page.text


def test_commenter_must_be_able_to_read_the_record(runtime: Runtime) -> None:
    s = _setup(runtime)
    deal_url = f"/t/acme/e/opportunity/{s['deal']}/comments"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "other@acme.test")
        assert post_form(client, deal_url, {"body": "hi"}, headers=HTMX).status_code == 404
        missing = post_form(client, "/t/acme/e/account/999999/comments", {"body": "hi"})
        assert missing.status_code == 404
        assert post_form(client, "/t/acme/e/nope/1/comments", {"body": "hi"}).status_code == 404
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "agent@acme.test")
        assert post_form(client, deal_url, {"body": "hi"}, headers=HTMX).status_code == 403
    with TestClient(app=create_web_app(runtime)) as client:
        anonymous = client.post(deal_url, data={"body": "hi"}, follow_redirects=False)
        assert anonymous.status_code in (303, 403)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        assert post_form(client, deal_url, {"body": "mine"}, headers=HTMX).status_code == 200
    assert [r["body"] for r in _comments(runtime, "acme")] == ["mine"]


def test_members_who_cannot_see_the_record_are_not_notified(runtime: Runtime) -> None:
    s = _setup(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        response = post_form(
            client,
            f"/t/acme/e/opportunity/{s['deal']}/comments",
            {"body": "@rep please loop in @other and @agent. @admin@acme.test"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert "Notified: rep." in response.text
        assert "Not notified (cannot see this record): other, agent." in (response.text)
    assert len(list_for_user(runtime, "acme", s["ids"]["rep"])) == 1
    assert list_for_user(runtime, "acme", s["ids"]["other"]) == []
    assert list_for_user(runtime, "acme", s["ids"]["agent"]) == []
    admin = runtime.registry.user_id("admin@acme.test")
    assert admin is not None
    assert list_for_user(runtime, "acme", admin) == []  # mentioning yourself notifies nobody


def test_ambiguous_and_foreign_mentions_notify_nobody(runtime: Runtime) -> None:
    s = _setup(runtime)
    runtime.registry.create_tenant("globex")
    outsider = runtime.registry.ensure_user("sam@globex.test", "correct horse battery")
    runtime.registry.add_membership("globex", outsider, [])
    add_user(runtime, "acme", "sam@acme.test", ["sales_manager"])
    add_user(runtime, "acme", "sam@acme.example", ["sales_manager"])
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        response = post_form(
            client,
            f"/t/acme/e/account/{s['account']}/comments",
            {"body": "@sam and @sam@globex.test"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert "No single member matches @sam, @sam@globex.test." in response.text
    assert list_for_user(runtime, "acme", outsider) == []
