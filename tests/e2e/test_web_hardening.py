"""Web hardening checks of docs/security/asvs-l2.md: caching, CORS, TRACE, errors, URLs.

Each test proves one row (or a few) of the ASVS map: dynamic answers are never stored by
caches, no cross-origin read is ever granted, TRACE is refused, an unexpected error
answers a generic message (and is logged), and URL fields take only web addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from litestar import get
from litestar.config.app import AppConfig
from litestar.params import FromPath  # type: ignore[attr-defined]
from litestar.plugins import InitPluginProtocol
from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.ui.screens.app import create_web_app

from helpers import Api, PackageWriter, make_tenant
from ui_support import sign_in

#: What the unexpected error below carries: none of it may reach the client.
SECRET_DETAIL = "postgresql://trellis:hunter2@db.internal/prod"


class _Records(logging.Handler):
    """Keeps the records of the logger it is added to (Litestar's loggers do not propagate)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def config(tmp_path: Path) -> RuntimeConfig:
    """SQLite only: these answers come from the web layer, the same on either database."""
    return RuntimeConfig(data_dir=tmp_path / "data", version_check_interval=0.0)


@pytest.fixture
def token(runtime: Runtime, write_package: PackageWriter) -> str:
    """Tenant ``acme`` with the test package; its admin's API token."""
    return make_tenant(runtime, write_package, "acme")


@pytest.fixture
def site(runtime: Runtime, token: str) -> Iterator[TestClient[Any]]:
    """The whole web app, signed in as acme's admin."""
    with TestClient(app=create_web_app(runtime), base_url="http://testserver.local") as client:
        assert sign_in(client, "acme", "admin@acme.test").status_code == 303
        yield client


def test_dynamic_answers_are_no_store_and_static_files_are_cacheable(
    site: TestClient[Any], token: str
) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    created = site.post("/t/acme/api/account", json={"name": "Cache Ltd"}, headers=bearer)
    assert created.status_code == 201
    ident = created.json()["id"]
    dynamic = {
        "api create": created,
        "api read": site.get(f"/t/acme/api/account/{ident}", headers=bearer),
        "api 401": site.get("/t/acme/api/account"),
        "api export": site.get("/t/acme/api/account/_export?format=csv", headers=bearer),
        "screen list": site.get("/t/acme/e/account"),
        "screen detail": site.get(f"/t/acme/e/account/{ident}"),
        "htmx fragment": site.get("/t/acme/e/account?q=x", headers={"HX-Request": "true"}),
        "account page": site.get("/t/acme/account"),
        "sign-in page": site.get("/t/acme/login"),
        "redirect": site.get("/t/globex/", follow_redirects=False),
        "unrouted 404": site.get("/no/such/path"),
    }
    for name, response in dynamic.items():
        assert response.headers.get("cache-control") == "no-store", name
        assert len(response.headers.get_list("cache-control")) == 1, name
    assert dynamic["api export"].status_code == 200
    assert "Cache Ltd" in dynamic["api export"].text
    for path in ("/static/app.css", "/static/app.js"):
        static = site.get(path)
        assert static.status_code == 200, path
        assert "no-store" not in static.headers.get("cache-control", ""), path


def test_no_cross_origin_access_is_ever_granted(site: TestClient[Any], token: str) -> None:
    evil = {"Origin": "https://evil.example"}
    bearer = {"Authorization": f"Bearer {token}", **evil}
    preflight = site.options(
        "/t/acme/api/account",
        headers={
            **evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    answers = [
        site.get("/t/acme/api/account", headers=bearer),
        site.post("/t/acme/api/account", json={"name": "X"}, headers=bearer),
        site.get("/t/acme/e/account", headers=evil),
        preflight,
    ]
    assert answers[0].status_code == 200 and answers[1].status_code == 201
    for response in answers:
        lowered = {name.lower() for name in response.headers}
        assert not any(name.startswith("access-control-allow") for name in lowered), lowered


def test_trace_is_refused_everywhere_and_echoes_nothing(site: TestClient[Any], token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "X-Probe": "echo-me"}
    for path in ("/", "/health", "/t/acme/api/account", "/t/acme/e/account", "/t/acme/login"):
        response = site.request("TRACE", path, headers=headers)
        assert response.status_code == 405, path
        assert "echo-me" not in response.text and token not in response.text, path


def test_an_unexpected_error_answers_a_generic_message_and_is_logged(
    runtime: Runtime, token: str
) -> None:
    @get("/t/{tenant:str}/api/_boom", sync_to_thread=False)
    def boom(tenant: FromPath[str]) -> None:
        raise RuntimeError(f"cannot reach {SECRET_DETAIL}")

    class Boom(InitPluginProtocol):
        def on_app_init(self, app_config: AppConfig) -> AppConfig:
            app_config.route_handlers.append(boom)
            return app_config

    def extension(services: Services) -> Boom:
        return Boom()

    logged = _Records()
    logger = logging.getLogger("trellis.api")
    logger.addHandler(logged)
    try:
        with TestClient(app=create_app(runtime, extension=extension)) as client:
            response = client.get("/t/acme/api/_boom")
    finally:
        logger.removeHandler(logged)
    assert response.status_code == 500
    assert response.json() == {
        "errors": {"__all__": ["Something went wrong on the server; nothing was saved."]}
    }
    for leak in ("hunter2", "db.internal", "RuntimeError", "Traceback", "boom"):
        assert leak not in response.text, leak
    assert any(r.exc_info and SECRET_DETAIL in str(r.exc_info[1]) for r in logged.records)


@pytest.mark.parametrize(
    "website",
    ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:x", "//evil"],
)
def test_url_fields_take_only_web_addresses(runtime: Runtime, token: str, website: str) -> None:
    with TestClient(app=create_app(runtime)) as client:
        api = Api(client, "acme", token)
        refused = api.post("account", json={"name": "Links", "website": website})
        assert refused.status_code == 422
        assert "website" in refused.json()["errors"]
        kept = api.post("account", json={"name": "Links", "website": "https://acme.example/a"})
        assert kept.status_code == 201
        assert kept.json()["website"] == "https://acme.example/a"


def test_every_body_names_its_type_and_text_names_its_charset(
    site: TestClient[Any], token: str
) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    assert site.post("/t/acme/api/account", json={"name": "Types"}, headers=bearer).is_success
    expected = {
        "/t/acme/api/account": "application/json",
        "/t/acme/api/account/_export?format=json": "application/json",
        "/t/acme/api/account/_export?format=csv": "text/csv; charset=utf-8",
        "/t/acme/e/account/export?format=csv": "text/csv; charset=utf-8",
        "/t/acme/e/account": "text/html; charset=utf-8",
        "/no/such/page": "text/html; charset=utf-8",
        "/static/app.css": "text/css; charset=utf-8",
        "/static/app.js": "text/javascript; charset=utf-8",
        "/health": "application/json",
    }
    for path, content_type in expected.items():
        response = site.get(path, headers=bearer)
        assert response.content, path
        assert response.headers.get("content-type") == content_type, path
    export = site.get("/t/acme/api/account/_export?format=csv", headers=bearer)
    disposition = export.headers.get("content-disposition", "")
    assert disposition.startswith('attachment; filename="account-') and disposition.endswith(
        '.csv"'
    )


def _inputs(html: str) -> list[dict[str, str | None]]:
    """The attributes of every ``<input>`` of ``html``."""
    found: list[dict[str, str | None]] = []

    class Inputs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "input":
                found.append(dict(attrs))

    Inputs().feed(html)
    return found


def test_password_fields_are_masked_pasteable_and_ask_for_nothing_else(
    site: TestClient[Any], runtime: Runtime
) -> None:
    with TestClient(app=create_web_app(runtime), base_url="http://testserver.local") as fresh:
        login = _inputs(fresh.get("/t/acme/login").text)
    # The sign-in form asks for an email and a password: no hint, no secret question.
    assert sorted(str(i.get("name")) for i in login) == ["_csrf_token", "email", "next", "password"]
    account = _inputs(site.get("/t/acme/account").text)
    passwords = [i for i in login + account if "password" in str(i.get("name"))]
    assert len(passwords) >= 4
    for field in passwords:
        assert field.get("type") == "password", field
        assert field.get("autocomplete") in ("current-password", "new-password"), field
        assert not any(name.startswith("on") for name in field), field  # no paste blocking
        assert "maxlength" not in field, field


def test_no_directory_listing_and_no_framework_documentation_pages(
    site: TestClient[Any], token: str
) -> None:
    for path in (
        "/static/",
        "/static/vendor/",
        "/static/vendor",
        "/schema",
        "/schema/swagger",
        "/schema/openapi.json",
        "/docs",
        "/openapi.json",
        "/.git/config",
    ):
        response = site.get(path)
        assert response.status_code == 404, path
        assert "htmx.VERSION" not in response.text and "htmx.LICENSE" not in response.text, path
    assert site.get("/t/acme/api/openapi.json").status_code == 401  # only with a token
    bearer = {"Authorization": f"Bearer {token}"}
    assert site.get("/t/acme/api/openapi.json", headers=bearer).status_code == 200


def test_every_signed_in_screen_offers_sign_out(site: TestClient[Any], token: str) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    created = site.post("/t/acme/api/account", json={"name": "Exit Ltd"}, headers=bearer)
    screens = [
        "/t/acme/",
        "/t/acme/e/account",
        "/t/acme/e/account/new",
        f"/t/acme/e/account/{created.json()['id']}",
        "/t/acme/account",
        "/t/acme/notifications",
        "/t/acme/search?q=exit",
        "/t/acme/calendar",
        "/t/acme/admin/jobs",
    ]
    for path in screens:
        page = site.get(path)
        assert page.status_code == 200, path
        assert '<form method="post" action="/t/acme/logout">' in page.text, path
        assert ">Sign out</button>" in page.text, path
