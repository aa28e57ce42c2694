"""Security headers on every kind of response, and HSTS only over TLS (or when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.config import config_from_env
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter, make_tenant
from ui_support import sign_in

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture
def token(runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch) -> str:
    """Tenant ``acme`` with the test package; its admin's API token."""
    monkeypatch.delenv("TRELLIS_SECURE_COOKIES", raising=False)
    return make_tenant(runtime, write_package, "acme")


@pytest.fixture
def site(runtime: Runtime, token: str) -> Iterator[TestClient[Any]]:
    """The whole web app over plain HTTP, signed in as acme's admin."""
    with TestClient(app=create_web_app(runtime), base_url="http://testserver.local") as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client


def _responses(client: TestClient[Any], token: str) -> dict[str, Any]:
    """One response of every kind the app sends, by name."""
    bearer = {"Authorization": f"Bearer {token}"}
    created = client.post("/t/acme/api/account", json={"name": "Headers Ltd"}, headers=bearer)
    assert created.status_code == 201
    ident = created.json()["id"]
    return {
        "api list": client.get("/t/acme/api/account", headers=bearer),
        "api read": client.get(f"/t/acme/api/account/{ident}", headers=bearer),
        "api create": created,
        "api 401": client.get("/t/acme/api/account"),
        "api 404": client.get("/t/acme/api/account/424242", headers=bearer),
        "api 422": client.post("/t/acme/api/account", json={}, headers=bearer),
        "openapi": client.get("/t/acme/api/openapi.json", headers=bearer),
        "health": client.get("/health"),
        "root": client.get("/"),
        "unrouted 404": client.get("/no/such/path"),
        "wrong method 405": client.put("/health"),
        "screen": client.get("/t/acme/e/account"),
        "screen detail": client.get(f"/t/acme/e/account/{ident}"),
        "htmx fragment": client.get("/t/acme/e/account?q=x", headers={"HX-Request": "true"}),
        "screen 404": client.get("/t/acme/e/account/424242"),
        "sign-in page": client.get("/t/globex/login"),
        "redirect": client.get("/t/globex/", follow_redirects=False),
        "csrf 403": client.post("/t/acme/logout", data={}),
        "static css": client.get("/static/app.css"),
        "static js": client.get("/static/app.js"),
        "static 404": client.get("/static/nothing.css"),
    }


def _assert_headers(name: str, response: Any) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, name
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, name
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
    assert response.headers.get("x-content-type-options") == "nosniff", name
    assert response.headers.get("referrer-policy") == "same-origin", name
    assert response.headers.get("x-frame-options") == "DENY", name
    assert len(response.headers.get_list("content-security-policy")) == 1, name


def test_every_kind_of_response_carries_the_security_headers(
    site: TestClient[Any], token: str
) -> None:
    responses = _responses(site, token)
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses["unrouted 404"] == 404 and statuses["wrong method 405"] == 405
    assert statuses["redirect"] == 303 and statuses["csrf 403"] == 403
    assert statuses["static 404"] == 404 and statuses["api 401"] == 401
    for name, response in responses.items():
        _assert_headers(name, response)
        assert "strict-transport-security" not in response.headers, name  # plain local HTTP


def test_the_api_alone_carries_the_security_headers(runtime: Runtime, token: str) -> None:
    with TestClient(app=create_app(runtime)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        for response in (
            client.get("/t/acme/api/account", headers=bearer),
            client.get("/t/acme/api/account"),
            client.get("/nothing/here"),
        ):
            _assert_headers(str(response.url), response)


def test_hsts_is_sent_over_https_on_every_kind_of_response(runtime: Runtime, token: str) -> None:
    with TestClient(app=create_web_app(runtime), base_url="https://testserver.local") as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        for name, response in _responses(client, token).items():
            _assert_headers(name, response)
            assert response.headers.get("strict-transport-security") == HSTS, name


def test_hsts_over_plain_http_only_when_secure_cookies_is_set(
    runtime: Runtime, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(app=create_web_app(runtime)) as client:
        plain = client.get("/t/acme/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in plain.headers  # the app trusts no header
    monkeypatch.setenv("TRELLIS_SECURE_COOKIES", "1")  # behind a TLS-terminating proxy
    read = config_from_env(runtime.config.data_dir)  # read once, when the app starts
    monkeypatch.setattr(
        runtime, "config", runtime.config.with_overrides(secure_cookies=read.secure_cookies)
    )
    with TestClient(app=create_web_app(runtime)) as client:
        for url in ("/t/acme/login", "/t/acme/api/account", "/nothing", "/static/app.css"):
            assert client.get(url).headers.get("strict-transport-security") == HSTS, url
    monkeypatch.delenv("TRELLIS_SECURE_COOKIES")
    configured = runtime.config.with_overrides(secure_cookies=True)
    monkeypatch.setattr(runtime, "config", configured)
    with TestClient(app=create_web_app(runtime)) as client:
        assert client.get("/health").headers.get("strict-transport-security") == HSTS
