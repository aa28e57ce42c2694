"""Every state-changing screen route refuses a request without this session's CSRF token.

The routes are read from the application itself, so a POST/PUT/PATCH/DELETE route added
later without protection makes this test fail. Only the bearer-token JSON API
(``/t/{tenant}/api/…``, which ignores the session cookie) is exempt.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app
from trellis.ui.screens.csrf import REFUSED

from helpers import PackageWriter, make_tenant
from ui_support import csrf_cookie, post_form, sign_in

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
#: The JSON API, and the public forms, signed links, portal votes and the chat widget
#: (CSRF-free by design, origin-checked: tests/e2e/test_public_forms.py,
#: tests/e2e/test_crm_kb_portal.py, tests/e2e/test_crm_live_chat.py).
API = re.compile(
    r"^/t/\{tenant\}/api/|^/p/\{tenant\}/(forms|s)/|^/p/[^/]+/[^/]+/[^/]+/vote$"
    r"|^/p/\{tenant\}/chat(/|$)"
)
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]*)"')
HX_HEADERS = re.compile(r"hx-headers='\{\"x-csrftoken\": \"([^\"]*)\"\}'")


def state_changing_screen_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path format) of every unsafe route outside the JSON API."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or API.match(route.path_format):
            continue
        found.extend((m, route.path_format) for m in sorted(route.methods) if m in UNSAFE)
    return found


@pytest.fixture
def signed_in(
    runtime: Runtime, write_package: PackageWriter
) -> Iterator[tuple[TestClient[Any], TestClient[Any], str]]:
    """Two browsers signed in as acme's admin (two sessions) and an admin API token."""
    token = make_tenant(runtime, write_package, "acme")
    with (
        TestClient(app=create_web_app(runtime)) as first,
        TestClient(app=create_web_app(runtime)) as second,
    ):
        for client in (first, second):
            assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield first, second, token


def _concrete(path: str, record_id: int) -> str:
    values = {
        "tenant": "acme",
        "entity": "account",
        "record_id": str(record_id),
        "name": "close",
        "decision": "approve",
        "view_id": "1",
        "note_id": "1",
        "job_id": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), path)


def test_every_state_changing_screen_route_refuses_a_missing_or_foreign_csrf_token(
    signed_in: tuple[TestClient[Any], TestClient[Any], str],
) -> None:
    client, other, token = signed_in
    bearer = {"Authorization": f"Bearer {token}"}
    made = client.post("/t/acme/api/account", json={"name": "Keep"}, headers=bearer)
    record_id = made.json()["id"]
    routes = state_changing_screen_routes(client.app)
    assert len(routes) >= 24, routes  # the screens really were enumerated
    assert ("POST", "/t/{tenant}/login") in routes and ("POST", "/t/{tenant}/logout") in routes
    foreign = csrf_cookie(other, "/t/acme/")
    refused = html.escape(REFUSED, quote=False)
    unprotected = []
    for method, path in routes:
        url = _concrete(path, record_id)
        form = {"name": "Changed", "stage": "x", "version": "1", "text": "hi", "ids": "1"}
        attempts = (
            client.request(method, url, data=form, follow_redirects=False),
            client.request(method, url, data={**form, "_csrf_token": foreign}),
            client.request(method, url, data=form, headers={"x-csrftoken": foreign}),
            client.request(method, url, headers={"x-csrftoken": "", "HX-Request": "true"}),
        )
        for response in attempts:
            if response.status_code != 403 or refused not in response.text:
                unprotected.append((method, path, response.status_code))
    assert unprotected == []
    # Nothing changed: the record is as it was and both sessions still work.
    assert client.get(f"/t/acme/api/account/{record_id}", headers=bearer).json()["name"] == "Keep"
    assert client.get("/t/acme/api/account", headers=bearer).json()["items"][0]["id"] == record_id
    for browser in (client, other):
        assert browser.get("/t/acme/", follow_redirects=False).status_code == 200


def test_screens_carry_the_session_token_in_forms_and_htmx_headers(
    signed_in: tuple[TestClient[Any], TestClient[Any], str],
) -> None:
    client, _other, _token = signed_in
    expected = csrf_cookie(client, "/t/acme/")
    assert expected
    created = post_form(client, "/t/acme/e/account", {"name": "Forms"}, follow_redirects=False)
    assert created.status_code == 303
    detail_url = created.headers["location"]
    for url in ("/t/acme/", "/t/acme/e/account", "/t/acme/e/account/new", detail_url):
        page = client.get(url)
        assert page.status_code == 200, url
        assert set(TOKEN_FIELD.findall(page.text)) == {expected}, url
        assert HX_HEADERS.findall(page.text) == [expected], url
