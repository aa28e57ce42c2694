"""A document saved on a record (issue 14 item 5): ``store_in`` names a versioned file
field; ``POST …/_documents/{name}`` renders the PDF and stores it as the field's newest
version (uploader the caller, time from the clock), all or nothing; the record's file
card offers "Save … here". SQLite and PostgreSQL."""

from __future__ import annotations

import io
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from litestar.testing import TestClient
from pypdf import PdfReader

from trellis.platform.api.app import create_app
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api
from ui_support import PASSWORD, post_form, sign_in

TENANT = "paper"
START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
QUOTE = """
    label: {en: Quote, es: Presupuesto}
    title: number
    fields:
      number: {type: string, required: true}
      contract: {type: file, versioned: true, label: {en: Contract, es: Contrato}}
"""
ROLES = """
roles:
  viewer:
    entities:
      quote: {actions: [read], scope: all}
  typist:
    entities:
      quote: {actions: [create, read, update], scope: all, fields: {contract: hidden}}
"""
DOCUMENTS = {
    "sheet": (
        "store_in: contract\nlabel: {en: Quote sheet, es: Hoja}",
        "<h1>Quote {{ record.number }}</h1>",
    ),
    "broken": ("store_in: contract\nlabel: Broken", "<p>{{ record.number | length / 0 }}</p>"),
    "plain": ("label: Plain", "<p>{{ record.number }}</p>"),
}


@dataclass
class World:
    runtime: Runtime
    clock: FakeClock
    apis: dict[str, Api]
    users: dict[str, int]
    web: TestClient  # type: ignore[type-arg]


def _package(root: Path) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "documents").mkdir()
    (root / "app.yaml").write_text("name: paper\nversion: 1.0.0\nlabel: Paper\n")
    (root / "entities" / "quote.yaml").write_text(textwrap.dedent(QUOTE).lstrip())
    (root / "roles.yaml").write_text(ROLES)
    for name, (sidecar, template) in DOCUMENTS.items():
        (root / "documents" / f"{name}.yaml").write_text(f"entity: quote\n{sidecar}\n")
        (root / "documents" / f"{name}.html.j2").write_text(template)
    return root


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    base = tmp_path_factory.mktemp(f"docstore-{request.param}")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    config = RuntimeConfig(data_dir=base / "data", version_check_interval=0.0)
    if request.param == "postgres":
        config = RuntimeConfig(
            data_dir=base / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    clock = FakeClock(START)
    runtime = Runtime(config, clock=clock)
    try:
        reg = runtime.registry
        reg.create_tenant(TENANT)
        publish(runtime, TENANT, _package(base / "pkg"))
        with (
            TestClient(app=create_app(runtime)) as api,
            TestClient(app=create_web_app(runtime)) as web,
        ):
            apis, users = {}, {}
            for who in ("admin", "viewer", "typist"):
                email = f"{who}@paper.test"
                users[who] = reg.ensure_user(email, PASSWORD)
                reg.add_membership(TENANT, users[who], [who])
                apis[who] = Api(api, TENANT, reg.create_token(TENANT, email))
            yield World(runtime, clock, apis, users, web)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _quote(world: World, number: str) -> int:
    made = world.apis["admin"].post("quote", json={"number": number})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _contract(world: World, ident: int) -> Any:
    return world.apis["admin"].get(f"quote/{ident}").json()["contract"]


def _pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_storing_a_document_adds_a_version_by_the_caller_at_the_clocks_time(
    world: World,
) -> None:
    ident = _quote(world, "Q-1")
    admin = world.apis["admin"]
    first = admin.post(f"quote/{ident}/_documents/sheet")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["field"] == "contract"
    stored = body["file"]
    assert stored["name"] == f"sheet-{ident}.pdf" and stored["content_type"] == "application/pdf"
    assert stored["uploaded_by"] == world.users["admin"]
    assert datetime.fromisoformat(stored["uploaded_at"]) == START
    assert _contract(world, ident)["id"] == stored["id"]
    download = admin.get(f"quote/{ident}/_files/contract/{stored['id']}")
    assert download.status_code == 200 and "Quote Q-1" in _pdf_text(download.content)

    world.clock.advance(3600)
    second = admin.post(f"quote/{ident}/_documents/sheet").json()["file"]
    assert datetime.fromisoformat(second["uploaded_at"]) == START.replace(hour=10, minute=30)
    assert [v["id"] for v in second["versions"]] == [stored["id"]]  # the first is kept
    assert _contract(world, ident)["versions"][0]["id"] == stored["id"]


def test_a_failing_template_stores_nothing(world: World) -> None:
    ident = _quote(world, "Q-2")
    admin = world.apis["admin"]
    admin.post(f"quote/{ident}/_documents/sheet")
    before = admin.get(f"quote/{ident}").json()
    failed = admin.post(f"quote/{ident}/_documents/broken")
    assert failed.status_code == 422 and "division by zero" in failed.text
    after = admin.get(f"quote/{ident}").json()
    assert after["contract"] == before["contract"] and after["version"] == before["version"]
    folder = world.runtime.config.data_dir / "files" / TENANT / "quote" / str(ident)
    kept = [p.name for p in folder.rglob("*") if p.is_file()]
    assert kept == [before["contract"]["id"]]  # no bytes of the failed PDF left behind


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("viewer", "sheet", 403),  # may read, may not update
        ("typist", "sheet", 404),  # the field is hidden from the typist
        ("admin", "plain", 404),  # a document without store_in is not saved on records
        ("admin", "nothing", 404),
    ],
)
def test_who_may_store_and_what(world: World, who: str, path: str, status: int) -> None:
    ident = _quote(world, f"Q-{who}-{path}")
    answer = world.apis[who].post(f"quote/{ident}/_documents/{path}")
    assert answer.status_code == status, answer.text
    assert "errors" in answer.json() or "error" in answer.json()
    assert _contract(world, ident) is None
    missing = world.apis["admin"].post("quote/999999/_documents/sheet")
    assert missing.status_code == 404


def test_openapi_describes_the_store_operation(world: World) -> None:
    path = f"/t/{TENANT}/api/quote/{{id}}/_documents/sheet"
    doc = world.apis["admin"].get("openapi.json").json()
    operation = doc["paths"][path]["post"]
    assert {"201", "403", "404", "422"} <= set(operation["responses"])
    assert f"/t/{TENANT}/api/quote/{{id}}/_documents/plain" not in doc["paths"]
    schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
    ident = _quote(world, "Q-3")
    answer = world.apis["admin"].post(f"quote/{ident}/_documents/sheet").json()
    jsonschema.Draft202012Validator(schema).validate(answer)
    assert path in world.apis["viewer"].get("openapi.json").json()["paths"]
    assert path not in world.apis["typist"].get("openapi.json").json()["paths"]


def test_the_file_card_offers_save_to_record(world: World) -> None:
    ident = _quote(world, "Q-4")
    web = world.web
    assert sign_in(web, TENANT, "admin@paper.test").status_code in (302, 303)
    card = web.get(f"/t/{TENANT}/e/quote/{ident}/_files")
    action = f'action="/t/{TENANT}/e/quote/{ident}/documents/sheet"'
    assert action in card.text and "Save Quote sheet here (PDF)" in card.text
    assert "documents/plain" not in card.text  # nothing to save it on
    done = post_form(
        web, f"/t/{TENANT}/e/quote/{ident}/documents/sheet", {}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/t/{TENANT}/e/quote/{ident}"
    page = web.get(done.headers["location"])
    assert "Quote sheet saved to Contract." in page.text
    assert _contract(world, ident)["name"] == f"sheet-{ident}.pdf"
    failed = post_form(
        web, f"/t/{TENANT}/e/quote/{ident}/documents/broken", {}, follow_redirects=True
    )
    assert "Not saved:" in failed.text and "division by zero" in failed.text
    assert _contract(world, ident)["versions"] == []  # nothing added by the failure
    web.cookies.clear()
    assert sign_in(web, TENANT, "viewer@paper.test").status_code in (302, 303)
    assert "documents/sheet" not in web.get(f"/t/{TENANT}/e/quote/{ident}/_files").text
    web.cookies.clear()
