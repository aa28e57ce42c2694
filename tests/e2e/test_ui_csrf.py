"""CSRF tokens bound to the tenant and the session; the sign-in ``next`` kept in the tenant.

Tenants ``acme`` and ``globex`` (test package); ``admin@acme.test`` is a member of both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.api.hygiene import MAX_HEADER_BYTES
from trellis.platform.runtime import Runtime
from trellis.platform.sessions import SESSION_COOKIE
from trellis.ui.screens.app import create_web_app
from trellis.ui.screens.csrf import REFUSED

from helpers import PackageWriter, make_tenant
from ui_support import PASSWORD, add_user, csrf_cookie, csrf_token, sign_in

NEXT_FIELD = re.compile(r'name="next" value="([^"]*)"')


class Site:
    """The web app over one runtime; each ``browser()`` has its own cookie jar."""

    def __init__(self, runtime: Runtime, tokens: dict[str, str]) -> None:
        self.runtime = runtime
        self.tokens = tokens
        self._clients: list[TestClient[Any]] = []

    def browser(self) -> TestClient[Any]:
        client: TestClient[Any] = TestClient(
            app=create_web_app(self.runtime), base_url="http://testserver.local"
        )
        client.__enter__()
        self._clients.append(client)
        return client

    def accounts(self, tenant: str = "acme") -> list[str]:
        """Names of the tenant's accounts, read through the API."""
        with TestClient(app=create_web_app(self.runtime)) as api:
            headers = {"Authorization": f"Bearer {self.tokens[tenant]}"}
            body = api.get(f"/t/{tenant}/api/account", headers=headers).json()
        return sorted(item["name"] for item in body["items"])

    def close(self) -> None:
        for client in self._clients:
            client.__exit__(None, None, None)


@pytest.fixture
def site(runtime: Runtime, write_package: PackageWriter) -> Iterator[Site]:
    tokens = {name: make_tenant(runtime, write_package, name) for name in ("acme", "globex")}
    add_user(runtime, "globex", "admin@acme.test", ["admin"])
    web = Site(runtime, tokens)
    yield web
    web.close()


def _csrf_set_cookies(response: Any) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith("csrftoken=")]


def _create(client: TestClient[Any], tenant: str, name: str, token: str | None) -> Any:
    data = {"name": name, **({"_csrf_token": token} if token is not None else {})}
    return client.post(f"/t/{tenant}/e/account", data=data, follow_redirects=False)


def _signed_in(client: TestClient[Any], tenant: str = "acme") -> bool:
    return client.get(f"/t/{tenant}/", follow_redirects=False).status_code == 200


def test_csrf_cookie_is_scoped_to_the_tenant_path(site: Site) -> None:
    client = site.browser()
    acme = client.get("/t/acme/login")
    globex = client.get("/t/globex/login")
    [acme_cookie] = _csrf_set_cookies(acme)
    [globex_cookie] = _csrf_set_cookies(globex)
    assert "Path=/t/acme/" in acme_cookie and "Path=/t/globex/" in globex_cookie
    assert "samesite=lax" in acme_cookie.lower()
    assert csrf_cookie(client, "/t/acme/") != csrf_cookie(client, "/t/globex/")
    assert csrf_token(client, acme.text) != csrf_token(client, globex.text)
    assert all(
        "Path=/;" not in c and not c.endswith("Path=/") for c in (acme_cookie, globex_cookie)
    )


def test_csrf_token_of_another_session_is_refused(site: Site) -> None:
    first, second = site.browser(), site.browser()
    for client in (first, second):
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
    stolen = csrf_cookie(first, "/t/acme/")
    own = csrf_cookie(second, "/t/acme/")
    assert stolen and own and stolen != own
    refused = _create(second, "acme", "Forged", stolen)
    assert refused.status_code == 403 and html.escape(REFUSED, quote=False) in refused.text
    header = second.post(
        "/t/acme/e/account", data={"name": "Forged"}, headers={"x-csrftoken": stolen}
    )
    assert header.status_code == 403
    assert site.accounts() == []
    assert _create(second, "acme", "Genuine", own).status_code == 303
    assert _create(first, "acme", "Also genuine", stolen).status_code == 303
    assert site.accounts() == ["Also genuine", "Genuine"]


def test_csrf_token_of_another_tenant_is_refused(site: Site) -> None:
    client = site.browser()
    assert sign_in(client, "acme", "admin@acme.test").status_code == 303
    assert sign_in(client, "globex", "admin@acme.test").status_code == 303
    acme_token = csrf_cookie(client, "/t/acme/")
    globex_token = csrf_cookie(client, "/t/globex/")
    assert acme_token != globex_token
    assert _create(client, "globex", "Cross", acme_token).status_code == 403
    # The same session id sent to the other tenant does not make the token valid there.
    sid = next(c.value for c in client.cookies.jar if c.name == SESSION_COOKIE and "acme" in c.path)
    other = site.browser()
    forged = other.post(
        "/t/globex/e/account",
        data={"name": "Cross", "_csrf_token": acme_token},
        headers={"Cookie": f"{SESSION_COOKIE}={sid}; csrftoken={acme_token}"},
    )
    assert forged.status_code == 403
    assert site.accounts("globex") == []
    assert _create(client, "globex", "Own", globex_token).status_code == 303
    assert site.accounts("globex") == ["Own"]


def test_presession_token_of_one_tenant_is_refused_at_another_sign_in(site: Site) -> None:
    client = site.browser()
    form = client.get("/t/acme/login")
    token = csrf_token(client, form.text)
    response = site.browser().post(
        "/t/globex/login",
        data={"email": "admin@acme.test", "password": PASSWORD, "_csrf_token": token},
        headers={"Cookie": f"csrftoken={token}"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_presession_tokens_must_be_signed_by_the_server(site: Site) -> None:
    chosen = "p" + "0" * 32 + "." + "0" * 64  # a double-submit pair the attacker picked
    response = site.browser().post(
        "/t/acme/login",
        data={"email": "admin@acme.test", "password": PASSWORD, "_csrf_token": chosen},
        headers={"Cookie": f"csrftoken={chosen}"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_odd_csrf_tokens_are_refused_not_errors(site: Site) -> None:
    client = site.browser()
    form = client.get("/t/acme/login")
    for token in ("é", "p\u00e9.é", "s" + "é" * 64, "p" + "x" * 20000, "\u2028", "p.", "s"):
        for sent in (
            {"data": {"_csrf_token": token}},
            {"headers": {"x-csrftoken": token.encode()}},
        ):
            response = client.post("/t/acme/login", **sent)  # type: ignore[arg-type]
            # A header over the request's header limit is refused before any handler: 431.
            too_long = "headers" in sent and len(token) > MAX_HEADER_BYTES
            assert response.status_code == (431 if too_long else 403), (token[:10], sent.keys())
    odd_cookie = site.browser().post(
        "/t/acme/login",
        data={"_csrf_token": "pé.x"},
        headers={"Cookie": "csrftoken=pé.x".encode()},
    )
    assert odd_cookie.status_code == 403
    assert csrf_token(client, form.text) == csrf_cookie(client, "/t/acme/login")


def test_csrf_token_rotates_at_sign_in_and_sign_out(site: Site) -> None:
    client = site.browser()
    form = client.get("/t/acme/login")
    before = csrf_token(client, form.text)
    assert before == csrf_cookie(client, "/t/acme/login")
    signed = client.post(
        "/t/acme/login",
        data={"email": "admin@acme.test", "password": PASSWORD, "_csrf_token": before},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    [rotated] = _csrf_set_cookies(signed)  # the sign-in answer already carries the new one
    during = csrf_cookie(client, "/t/acme/")
    assert during != before and rotated.startswith(f"csrftoken={during};")
    home = client.get("/t/acme/")
    assert home.status_code == 200 and f'value="{during}"' in home.text
    stale = client.post("/t/acme/logout", data={"_csrf_token": before}, follow_redirects=False)
    assert stale.status_code == 403 and _signed_in(client)
    out = client.post("/t/acme/logout", data={"_csrf_token": during}, follow_redirects=False)
    assert out.status_code == 303 and not _signed_in(client)
    after = csrf_cookie(client, "/t/acme/")
    assert after not in (before, during)
    again = client.post(
        "/t/acme/login",
        data={"email": "admin@acme.test", "password": PASSWORD, "_csrf_token": during},
        follow_redirects=False,
    )
    assert again.status_code == 403  # the ended session's token is gone with it


def test_api_ignores_the_session_cookie(site: Site) -> None:
    """Why the JSON API needs no CSRF token: a session cookie does not authenticate it."""
    client = site.browser()
    assert sign_in(client, "acme", "admin@acme.test").status_code == 303
    response = client.post("/t/acme/api/account", json={"name": "Cookie only"})
    assert response.status_code == 401
    assert site.accounts() == []


def test_login_next_with_dot_segments_goes_to_the_tenant_home(site: Site) -> None:
    client = site.browser()
    page = client.get("/t/acme/login", params={"next": "/t/acme/../../x"})
    assert NEXT_FIELD.findall(page.text) == ["/t/acme/"]
    token = csrf_token(client, page.text)
    cases = {
        "/t/a/../../x": "/t/acme/",
        "/t/acme/../globex/e/account": "/t/acme/",
        "/t/acme/%2e%2e/globex/": "/t/acme/",
        "//evil.example/t/acme/": "/t/acme/",
        "/t/acme/e/./account?q=x%20y": "/t/acme/e/account?q=x%20y",
    }
    for value, expected in cases.items():
        client.cookies.delete(SESSION_COOKIE)
        token = csrf_cookie(client, "/t/acme/login")
        response = client.post(
            "/t/acme/login",
            data={
                "email": "admin@acme.test",
                "password": PASSWORD,
                "_csrf_token": token,
                "next": value,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, value
        assert response.headers["location"] == expected, value
        client.post(
            "/t/acme/logout",
            data={"_csrf_token": csrf_cookie(client, "/t/acme/")},
            follow_redirects=False,
        )
