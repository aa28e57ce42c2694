"""An unexpected error inside a handler: 500 with a request id, no traceback, still serving.

The API router answers the JSON of DESIGN.md §7, the screens router an HTML page; both
carry ``X-Request-Id``, the id the log line of the error names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.platform.services.records import RecordsService
from trellis.ui.screens import web
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter, make_tenant
from ui_support import sign_in

SECRET_DETAIL = "postgresql://trellis:hunter2@db.internal/prod"
LEAKS = ("hunter2", "db.internal", "RuntimeError", "Traceback", 'File "')
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


class _Records(logging.Handler):
    """Keeps the records of the logger it is added to."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _explode(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(f"cannot reach {SECRET_DETAIL}")


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


@pytest.fixture
def logged() -> Iterator[_Records]:
    records = _Records()
    logger = logging.getLogger("trellis.api")
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)


def _logged_with(records: _Records, request_id: str) -> bool:
    return any(
        request_id in r.getMessage() and r.exc_info and SECRET_DETAIL in str(r.exc_info[1])
        for r in records.records
    )


def test_api_handler_error_is_500_json_with_a_request_id_and_the_app_keeps_serving(
    site: TestClient[Any], token: str, logged: _Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    created = site.post("/t/acme/api/account", json={"name": "Kept"}, headers=bearer)
    assert created.status_code == 201
    monkeypatch.setattr(RecordsService, "read", _explode)
    failed = site.get(f"/t/acme/api/account/{created.json()['id']}", headers=bearer)
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("application/json")
    assert failed.json() == {
        "errors": {"__all__": ["Something went wrong on the server; nothing was saved."]}
    }
    request_id = failed.headers["x-request-id"]
    assert REQUEST_ID.match(request_id)
    for leak in LEAKS:
        assert leak not in failed.text, leak
    assert _logged_with(logged, request_id)
    assert site.get("/health").json() == {"status": "ok"}
    assert site.get("/t/acme/api/account", headers=bearer).json()["count"] == 1
    again = site.post("/t/acme/api/account", json={"name": "After"}, headers=bearer)
    assert again.status_code == 201
    second = site.get(f"/t/acme/api/account/{again.json()['id']}", headers=bearer)
    assert second.status_code == 500
    assert second.headers["x-request-id"] != request_id


def test_screen_handler_error_is_an_html_500_page_and_the_app_keeps_serving(
    site: TestClient[Any], logged: _Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "unread_count", _explode)
    failed = site.get("/t/acme/e/account")
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("text/html")
    assert "<html" in failed.text and "Something went wrong" in failed.text
    request_id = failed.headers["x-request-id"]
    assert REQUEST_ID.match(request_id)
    assert request_id in failed.text
    for leak in LEAKS:
        assert leak not in failed.text, leak
    assert _logged_with(logged, request_id)
    # Fragments do not count unread notifications: the same screen still answers them.
    fragment = site.get("/t/acme/e/account", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    monkeypatch.undo()
    assert site.get("/t/acme/e/account").status_code == 200
    assert site.get("/health").json() == {"status": "ok"}
