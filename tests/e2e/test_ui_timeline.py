"""The activity timeline of the detail page: changes, comments, e-mails, activities, paging."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

from trellis.platform.activity.comments import insert_comment
from trellis.platform.jobs.deliveries import Delivery, record_delivery
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_activity_support import HTMX, create, screen_problems, signed_in_client, update
from ui_support import add_user, crm_tenant

ITEM = re.compile(r'<li class="tl-item tl-(\w+)">')


def _kinds(html: str) -> list[str]:
    return ITEM.findall(html)


def _comment(runtime: Runtime, entity: str, ident: int, body: str, at: datetime) -> None:
    app = runtime.app("acme")
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        insert_comment(
            conn,
            app.metadata,
            entity=entity,
            record_id=ident,
            user_id=None,
            body=body,
            mentions=[],
            at=at,
        )


def test_changes_hide_fields_the_viewer_may_not_see(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Initech"})
    update(runtime, "acme", "admin@acme.test", "account", account["id"], {"annual_revenue": "5000"})
    update(runtime, "acme", "admin@acme.test", "account", account["id"], {"phone": "+33 1 23"})
    url = f"/t/acme/e/account/{account['id']}"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        html = client.get(url).text
        assert _kinds(html) == ["change", "change", "change"]
        assert '<span class="tl-field">Phone</span>: <ins>+33 1 23</ins>' in html
        assert '<span class="tl-field">Annual revenue</span>: <ins>5,000.00</ins>' in html
        assert "<strong>admin</strong> created" in html
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        html = client.get(url).text
        assert "Annual revenue" not in html and "5,000.00" not in html
        assert _kinds(html) == ["change", "change"]  # the revenue-only update is left out
        assert '<span class="tl-field">Phone</span>: <ins>+33 1 23</ins>' in html


def test_timeline_merges_sources_newest_first(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    add_user(runtime, "acme", "rep2@acme.test", ["sales_rep"])
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Hooli"})
    ident = account["id"]
    task = create(
        runtime,
        "acme",
        "rep@acme.test",
        "activity",
        {"subject": "Call <the> CFO", "kind": "call", "account": ident},
    )
    create(
        runtime,
        "acme",
        "rep2@acme.test",
        "activity",
        {"subject": "Private lunch", "kind": "meeting", "account": ident},
    )
    app = runtime.app("acme")
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        record_delivery(
            conn,
            app.metadata,
            Delivery(
                "email",
                1,
                1,
                "sent",
                target="cfo@hooli.test",
                subject="Welcome & hello",
                entity="account",
                record_id=ident,
            ),
            datetime.now(UTC),
        )
    _comment(runtime, "account", ident, "Latest word", datetime.now(UTC))
    url = f"/t/acme/e/account/{ident}"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        html = client.get(url).text
        assert _kinds(html)[:4] == ["comment", "email", "related", "related"]
        assert "Latest word" in html
        assert "e-mail to cfo@hooli.test" in html and "Welcome &amp; hello" in html
        assert f'href="/t/acme/e/activity/{task["id"]}">added a call</a>' in html
        assert "Call &lt;the&gt; CFO" in html
        assert "Private lunch" in html
        assert screen_problems(html) == []
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        html = client.get(url).text
        assert "Call &lt;the&gt; CFO" in html
        assert "Private lunch" not in html  # another rep's activity is outside the scope


def _page(client: TestClient[Any], url: str) -> tuple[list[str], str | None]:
    html = client.get(url, headers=HTMX).text
    bodies = re.findall(r'<div class="tl-body">(c\d+)</div>', html)
    more = re.search(r'hx-get="([^"]+)"', html)
    return bodies, more.group(1).replace("&amp;", "&") if more else None


def test_paging_neither_skips_nor_repeats_entries_with_equal_times(runtime: Runtime) -> None:
    crm_tenant(runtime)
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Umbrella"})
    ident = account["id"]
    same = datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    for n in range(12):
        _comment(
            runtime, "account", ident, f"c{n}", same if n % 2 else datetime(2030, 1, 1, tzinfo=UTC)
        )
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "admin@acme.test")
        seen: list[str] = []
        url: str | None = f"/t/acme/e/account/{ident}/activity?limit=5"
        pages = 0
        while url:
            bodies, url = _page(client, url)
            seen += bodies
            pages += 1
        assert pages == 3
        odd = [f"c{n}" for n in (11, 9, 7, 5, 3, 1)]
        even = [f"c{n}" for n in (10, 8, 6, 4, 2, 0)]
        assert seen == odd + even
        first = client.get(f"/t/acme/e/account/{ident}")
        assert first.text.count('class="tl-item') == 13  # 12 comments and the creation


def test_bad_timeline_requests(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    add_user(runtime, "acme", "mkt@acme.test", ["marketing"])  # reads no opportunity
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Acme"})
    deal = create(
        runtime, "acme", "admin@acme.test", "opportunity", {"name": "D", "account": account["id"]}
    )
    base = f"/t/acme/e/account/{account['id']}/activity"
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        bad = client.get(base + "?cursor=garbage")
        assert bad.status_code == 400
        assert "is not valid; reload the page" in bad.text
        assert client.get(base + "?limit=0").status_code == 400
        assert client.get(base + "?limit=101").status_code == 400
        assert client.get(f"/t/acme/e/opportunity/{deal['id']}/activity").status_code == 404
        assert client.get("/t/acme/e/account/424242/activity").status_code == 404
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "mkt@acme.test")
        assert client.get(f"/t/acme/e/opportunity/{deal['id']}/activity").status_code == 403
    with TestClient(app=create_web_app(runtime)) as client:
        anonymous = client.get(base, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/t/acme/login")


def test_related_activities_page_through_the_api_scope(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    account = create(runtime, "acme", "admin@acme.test", "account", {"name": "Soylent"})
    ident = account["id"]
    made = [
        create(
            runtime,
            "acme",
            "rep@acme.test",
            "activity",
            {"subject": f"Task {n}", "kind": "task", "account": ident},
        )["id"]
        for n in range(5)
    ]
    with TestClient(app=create_web_app(runtime)) as client:
        signed_in_client(client, "acme", "rep@acme.test")
        found: list[int] = []
        url: str | None = f"/t/acme/e/account/{ident}/activity?limit=2"
        while url:
            html = client.get(url, headers=HTMX).text
            found += [int(n) for n in re.findall(r'href="/t/acme/e/activity/(\d+)">added a', html)]
            more = re.search(r'hx-get="([^"]+)"', html)
            url = more.group(1).replace("&amp;", "&") if more else None
        assert found == sorted(made, reverse=True)
