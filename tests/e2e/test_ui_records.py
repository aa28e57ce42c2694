"""Record screens through the real app: sign-in guard, forms, lists, security, CSP, labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from ui_support import add_user, crm_tenant, post_form, sign_in


@pytest.fixture
def web(runtime: Runtime) -> Iterator[TestClient[Any]]:
    """A CRM tenant 'acme' and a client signed in as its admin."""
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client


def _create(client: TestClient[Any], entity: str, data: dict[str, Any]) -> int:
    response = post_form(client, f"/t/acme/e/{entity}", data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


class _Controls(HTMLParser):
    """Collects form controls and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.labelled.add(str(values["for"]))
        if tag in ("input", "select", "textarea") and values.get("type") not in ("hidden",):
            self.controls.append(values)


def unlabelled(html: str) -> list[dict[str, str | None]]:
    """Form controls with neither a <label for> nor an aria-label."""
    parser = _Controls()
    parser.feed(html)
    return [
        c
        for c in parser.controls
        if not c.get("aria-label") and (c.get("id") is None or c.get("id") not in parser.labelled)
    ]


def test_screens_redirect_to_sign_in_and_back(runtime: Runtime) -> None:
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        response = client.get("/t/acme/e/account?q=x", follow_redirects=False)
        assert response.status_code == 303
        assert (
            response.headers["location"] == "/t/acme/login?next=%2Ft%2Facme%2Fe%2Faccount%3Fq%3Dx"
        )
        htmx = client.get("/t/acme/e/account", headers={"HX-Request": "true"})
        assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/t/acme/login")
        bad = sign_in(client, "acme", "admin@acme.test", "wrong password!")
        assert bad.status_code == 401 and "The email or password is not right." in bad.text
        assert client.get("/t/acme/", follow_redirects=False).status_code == 303


def test_sign_in_form_needs_csrf_token(runtime: Runtime) -> None:
    crm_tenant(runtime)
    with TestClient(app=create_web_app(runtime)) as client:
        client.get("/t/acme/login")
        response = client.post(
            "/t/acme/login", data={"email": "admin@acme.test", "password": "correct horse battery"}
        )
        assert response.status_code == 403
        assert client.get("/t/acme/", follow_redirects=False).status_code == 303


def test_create_shows_inline_errors_and_keeps_values(web: TestClient[Any]) -> None:
    response = post_form(
        web,
        "/t/acme/e/opportunity",
        {"name": "Big deal", "amount": "-5", "stage": "prospecting"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert 'id="err-account"' in response.text  # required reference
    assert 'id="err-amount"' in response.text
    assert 'value="Big deal"' in response.text  # what the user typed is kept
    assert "<html" not in response.text  # a fragment swapped into place


def test_create_edit_and_optimistic_lock_conflict(web: TestClient[Any]) -> None:
    ident = _create(web, "account", {"name": "Acme Corp", "industry": ""})
    detail = web.get(f"/t/acme/e/account/{ident}")
    assert detail.status_code == 200 and "<h1>Acme Corp</h1>" in detail.text
    edit = web.get(f"/t/acme/e/account/{ident}/edit")
    assert 'name="version" value="1"' in edit.text
    saved = post_form(
        web,
        f"/t/acme/e/account/{ident}",
        {"name": "Acme Two", "version": "1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    stale = post_form(web, f"/t/acme/e/account/{ident}", {"name": "Acme Three", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else saved this account" in stale.text
    assert "Acme Two" in stale.text and "Acme Three" in stale.text
    assert 'name="version" value="2"' in stale.text  # saving again overwrites knowingly


def test_list_search_filter_sort_and_errors(web: TestClient[Any]) -> None:
    for name in ("Alpha", "Beta", "Gamma"):
        _create(web, "account", {"name": name})
    page = web.get("/t/acme/e/account?q=eta")
    assert "Beta" in page.text and "Alpha" not in page.text
    built = web.get("/t/acme/e/account?f=name&op=starts_with&v=Ga&sort=name")
    assert "Gamma" in built.text and "Beta" not in built.text
    bad = web.get("/t/acme/e/account?filter=nme%20%3D%3D%201")
    assert bad.status_code == 200
    assert 'id="filter-error"' in bad.text and "nme" in bad.text
    ordered = web.get("/t/acme/e/account?sort=-name").text
    assert ordered.index("Gamma") < ordered.index("Beta") < ordered.index("Alpha")


def test_keyset_load_more_returns_rows_fragment(web: TestClient[Any], runtime: Runtime) -> None:
    for i in range(55):
        _create(web, "account", {"name": f"Company {i:02d}"})
    first = web.get("/t/acme/e/account?sort=name")
    assert first.text.count('name="ids"') == 50
    found = re.search(r'hx-get="(/t/acme/e/account\?part=rows&amp;[^"]+)"', first.text)
    assert found
    more = web.get(found.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert more.text.count('name="ids"') == 5
    assert "Company 54" in more.text and "Load more" not in more.text


def test_bulk_delete_and_bulk_set(web: TestClient[Any]) -> None:
    ids = [_create(web, "account", {"name": f"Bulk {i}"}) for i in range(3)]
    done = post_form(
        web,
        "/t/acme/e/account/_bulk",
        {
            "ids": [str(ids[0]), str(ids[1])],
            "action": "set",
            "field": "industry",
            "value": "technology",
        },
    )
    assert "2 of 2 records updated." in done.text
    refused = post_form(
        web,
        "/t/acme/e/account/_bulk",
        {"ids": [str(ids[0])], "action": "set", "field": "industry", "value": "tech"},
    )
    assert "0 of 1 records updated. Not changed: #" in refused.text
    gone = post_form(web, "/t/acme/e/account/_bulk", {"ids": [str(ids[2])], "action": "delete"})
    assert "1 of 1 records deleted." in gone.text
    assert web.get(f"/t/acme/e/account/{ids[2]}").status_code == 404


def test_role_sees_only_its_screens_and_fields(runtime: Runtime) -> None:
    crm_tenant(runtime)
    add_user(runtime, "acme", "rep@acme.test", ["sales_rep"])
    with TestClient(app=create_web_app(runtime)) as admin:
        sign_in(admin, "acme", "admin@acme.test")
        ident = _create(admin, "account", {"name": "Visible Co", "annual_revenue": "5000"})
    with TestClient(app=create_web_app(runtime)) as rep:
        sign_in(rep, "acme", "rep@acme.test")
        home = rep.get("/t/acme/").text
        assert "/t/acme/e/opportunity" in home and "/t/acme/e/ticket" not in home
        assert rep.get("/t/acme/e/ticket").status_code == 403
        detail = rep.get(f"/t/acme/e/account/{ident}").text
        assert "Visible Co" in detail and "Annual revenue" not in detail and "5,000" not in detail
        assert rep.get("/t/acme/e/account/new").status_code == 403
        listing = rep.get("/t/acme/e/account?filter=annual_revenue%20%3E%200")
        assert 'id="filter-error"' in listing.text


def test_session_of_one_tenant_does_not_open_another(runtime: Runtime) -> None:
    crm_tenant(runtime, "acme")
    crm_tenant(runtime, "globex")
    with TestClient(app=create_web_app(runtime)) as client:
        sign_in(client, "acme", "admin@acme.test")
        assert client.get("/t/acme/", follow_redirects=False).status_code == 200
        assert client.get("/t/globex/", follow_redirects=False).status_code == 303
        assert client.get("/t/globex/e/account/1", follow_redirects=False).status_code == 303


def test_headers_labels_and_static_assets(web: TestClient[Any]) -> None:
    for url in ("/t/acme/", "/t/acme/e/opportunity", "/t/acme/e/opportunity/new"):
        response = web.get(url)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "<script>" not in response.text and " style=" not in response.text
        assert unlabelled(response.text) == [], url
    htmx = web.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and b"2.0.11" in htmx.content


def test_unknown_record_and_entity_are_html_pages(web: TestClient[Any]) -> None:
    missing = web.get("/t/acme/e/account/424242")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    assert web.get("/t/acme/e/nothing").status_code == 404
    assert web.get("/t/acme/e/account/abc").status_code in (400, 404)


ROOT_ACCEPTS = ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8", "*/*", "")


def test_root_names_no_tenant_to_anonymous_callers(runtime: Runtime) -> None:
    """Tenant names are customer names: ``/`` neither lists one nor picks one."""
    crm_tenant(runtime)
    runtime.registry.create_tenant("aardvark-customer")  # first alphabetically
    with TestClient(app=create_web_app(runtime)) as client:
        for accept in ROOT_ACCEPTS:
            answer = client.get("/", headers={"Accept": accept}, follow_redirects=False)
            assert answer.status_code == 200, accept
            assert "location" not in answer.headers
            assert "acme" not in answer.text and "aardvark" not in answer.text, accept
        page = client.get("/", headers={"Accept": "text/html"})
        assert "/t/&lt;organisation&gt;/login" in page.text
        body = client.get("/").json()
        assert "tenants" not in body and body["openapi"] == "/t/{tenant}/api/openapi.json"


def test_root_sends_browsers_only_to_the_configured_home_tenant(runtime: Runtime) -> None:
    crm_tenant(runtime)
    runtime.registry.create_tenant("aardvark-customer")
    home = Runtime(runtime.config.with_overrides(home_tenant="acme"))
    with TestClient(app=create_web_app(home)) as client:
        browser = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
        assert browser.status_code == 303 and browser.headers["location"] == "/t/acme/login"
        data = client.get("/", headers={"Accept": "application/json"})
        assert data.status_code == 200 and "acme" not in data.text and "aardvark" not in data.text


def test_reference_cells_show_titles_and_related_lists(web: TestClient[Any]) -> None:
    account = _create(web, "account", {"name": "Parent Account"})
    contact = _create(
        web, "contact", {"first_name": "Ada", "last_name": "Byron", "account": account}
    )
    listing = web.get("/t/acme/e/contact").text
    assert f'<a href="/t/acme/e/account/{account}">Parent Account</a>' in listing
    detail = web.get(f"/t/acme/e/account/{account}").text
    assert f"/t/acme/e/contact/{contact}" in detail  # the related list shows the contact
    assert f"/t/acme/e/contact/new?account={account}" in detail  # add-related pre-fills
    prefilled = web.get(f"/t/acme/e/contact/new?account={account}").text
    assert f'name="account" id="fld-account" value="{account}"' in prefilled
    assert 'value="Parent Account"' in prefilled
