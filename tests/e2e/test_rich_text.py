"""Rich text fields: sanitised on every save path, searched as words, shown as HTML."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from openapi_spec_validator import validate as validate_openapi

from trellis.metadata.model.rich_text import MAX_RICH_TEXT_LENGTH
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api, PackageWriter
from ui_support import PASSWORD, post_form, sign_in

NOTE = """\
label: Note
title: title
search: [body]
fields:
  title: {type: string, required: true}
  body: {type: rich_text}
  teaser: {type: rich_text, formula: 'concat("<em>", title, "</em><script>alert(1)</script>")'}
validations:
  - {when: 'body contains "forbidden"', field: body, message: "No forbidden words."}
"""
RULES = """\
rule "Stamp"
  on note created
  when title == "By rule"
  then
    set body = "<p onclick='x()'>set by a rule<script>x()</script></p>"
end
"""
EVIL = (
    '<p onclick="steal()">Quarterly <strong>pipeline</strong> review'
    '<script>alert("x")</script>'
    '<a href="javascript:alert(1)">bad</a> <a href="https://example.org" target="_blank">docs</a>'
    '<span style="position:fixed">styled</span><img src=x onerror="alert(2)"></p>'
)


@dataclass
class World:
    api: Api
    web: TestClient[Any]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Tenant ``rt`` with a ``note`` entity, an admin token and a signed-in browser session."""
    root = tmp_path_factory.mktemp("rt")
    package = root / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "app.yaml").write_text("name: notes\nversion: 1.0.0\nlabel: Notes\n")
    (package / "entities" / "note.yaml").write_text(NOTE)
    (package / "rules").mkdir()
    (package / "rules" / "notes.rules").write_text(RULES)
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        config = RuntimeConfig(data_dir=root / "data", version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=root / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config)
    try:
        runtime.registry.create_tenant("rt")
        publish(runtime, "rt", Path(package))
        user = runtime.registry.ensure_user("admin@rt.test", PASSWORD)
        runtime.registry.add_membership("rt", user, ["admin"])
        token = runtime.registry.create_token("rt", "admin@rt.test")
        with (
            TestClient(app=create_web_app(runtime)) as client,
            TestClient(app=create_web_app(runtime)) as web,
        ):
            assert sign_in(web, "rt", "admin@rt.test").status_code == 303
            yield World(Api(client, "rt", token), web)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _assert_clean(html: str) -> None:
    lowered = html.lower()
    for bad in ("<script", "onclick", "onerror", "javascript:", "style=", "alert("):
        assert bad not in lowered, html


def test_api_create_removes_script_handlers_styles_and_javascript_urls(world: World) -> None:
    response = world.api.post("note", json={"title": "Review", "body": EVIL})
    assert response.status_code == 201, response.text
    body = response.json()["body"]
    _assert_clean(body)
    assert "<strong>pipeline</strong>" in body
    assert '<a href="https://example.org" rel="noopener noreferrer">docs</a>' in body
    assert "_plain_body" not in response.json()
    stored = world.api.get(f"note/{response.json()['id']}").json()
    assert stored["body"] == body


def test_api_update_and_bulk_sanitise(world: World) -> None:
    created = world.api.post("note", json={"title": "Upd", "body": "<p>ok</p>"}).json()
    response = world.api.patch(
        f"note/{created['id']}",
        json={"body": '<p>new<script>x()</script><b onmouseover="x()">bold</b></p>'},
        headers={"If-Match": str(created["version"])},
    )
    assert response.status_code == 200, response.text
    assert response.json()["body"] == "<p>new<b>bold</b></p>"
    bulk = world.api.post("note/bulk", json=[{"title": "Bulk", "body": EVIL}])
    assert bulk.status_code in (200, 201), bulk.text
    ident = bulk.json()["items"][0]["id"]
    _assert_clean(world.api.get(f"note/{ident}").json()["body"])


def test_formula_setting_rich_text_is_sanitised(world: World) -> None:
    created = world.api.post("note", json={"title": "Computed"}).json()
    assert created["teaser"] == "<em>Computed</em>"


def test_trigger_rule_setting_rich_text_is_sanitised(world: World) -> None:
    created = world.api.post("note", json={"title": "By rule"})
    assert created.status_code == 201, created.text
    stored = world.api.get(f"note/{created.json()['id']}").json()
    assert stored["body"] == "<p>set by a rule</p>"


def test_size_limit(world: World) -> None:
    response = world.api.post("note", json={"title": "Big", "body": "x" * 70_000})
    assert response.status_code == 422, response.text
    assert "body" in response.json()["errors"]


def test_search_and_filters_match_words_not_tags(world: World) -> None:
    world.api.post("note", json={"title": "Plain", "body": "<p>The <em>zebra</em> crossing</p>"})
    world.api.post("note", json={"title": "Other", "body": "<p>Lions <b>only</b></p>"})
    found = world.api.get("_search", params={"q": "zebra crossing"}).json()["items"]
    assert [hit["title"] for hit in found] == ["Plain"]
    # A tag name or attribute is not a word of the text.
    assert world.api.get("_search", params={"q": "em"}).json()["items"] == []
    assert world.api.get("_search", params={"q": "noopener"}).json()["items"] == []
    listed = world.api.get("note", params={"filter": 'body contains "zebra"'}).json()
    assert [r["title"] for r in listed["items"]] == ["Plain"]
    tagged = world.api.get("note", params={"filter": 'body contains "strong"'}).json()
    assert tagged["items"] == []
    # The screens' global search and list search read the same plain text.
    page = world.web.get("/t/rt/search", params={"q": "zebra"})
    assert page.status_code == 200 and ">Plain<" in page.text
    assert ">Plain<" not in world.web.get("/t/rt/search", params={"q": "em"}).text
    listed_screen = world.web.get("/t/rt/e/note", params={"q": "zebra"})
    assert ">Plain<" in listed_screen.text and ">Other<" not in listed_screen.text
    assert ">Other<" in world.web.get("/t/rt/e/note").text


def test_validation_reads_the_plain_text(world: World) -> None:
    refused = world.api.post("note", json={"title": "V", "body": "<p>a <b>forbidden</b> word</p>"})
    assert refused.status_code == 422
    assert refused.json()["errors"]["body"] == ["No forbidden words."]
    # "forbidden" split by a tag is not the word.
    allowed = world.api.post("note", json={"title": "V2", "body": "<p>forb<br>idden</p>"})
    assert allowed.status_code == 201, allowed.text


def test_screen_form_removes_script_and_detail_renders_sanitised_html(world: World) -> None:
    form = world.web.get("/t/rt/e/note/new")
    assert form.status_code == 200
    assert re.search(r'<textarea id="fld-body" name="body"', form.text)
    response = post_form(
        world.web, "/t/rt/e/note", {"title": "From screen", "body": EVIL}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    ident = int(response.headers["location"].rsplit("/", 1)[1])
    detail = world.web.get(f"/t/rt/e/note/{ident}")
    assert detail.status_code == 200
    value = re.search(r'<dd id="value-body"><div class="rich-text">(.*?)</div></dd>', detail.text)
    assert value is not None, detail.text
    _assert_clean(value.group(1))
    assert "<strong>pipeline</strong>" in value.group(1)
    assert "script-src" in detail.headers["content-security-policy"]
    assert "unsafe-inline" not in detail.headers["content-security-policy"].split("script-src")[1]


def test_openapi_describes_rich_text_as_limited_text(world: World) -> None:
    doc = world.api.get("openapi.json").json()
    validate_openapi(doc)
    written = doc["components"]["schemas"]["Note_Create"]["properties"]["body"]
    assert "string" in written["type"]
    assert written["maxLength"] == MAX_RICH_TEXT_LENGTH
    answered = doc["components"]["schemas"]["Note"]["properties"]
    assert "body" in answered and "_plain_body" not in answered


def test_text_field_turned_rich_text_is_sanitised_and_searchable(
    runtime: Runtime, client: TestClient[Any], write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("turn")
    plain = "label: Memo\ntitle: title\nsearch: [body]\nfields:\n  title: {type: string}\n"
    publish(runtime, "turn", write_package({"memo": plain + "  body: {type: text}\n"}))
    user = runtime.registry.ensure_user("admin@turn.test", PASSWORD)
    runtime.registry.add_membership("turn", user, ["admin"])
    api = Api(client, "turn", runtime.registry.create_token("turn", "admin@turn.test"))
    old = api.post("memo", json={"title": "Old", "body": "Giraffe <script>alert(1)</script>"})
    assert old.status_code == 201, old.text
    publish(
        runtime,
        "turn",
        write_package({"memo": plain + "  body: {type: rich_text}\n"}, version="1.1.0"),
    )
    stored = api.get(f"memo/{old.json()['id']}").json()["body"]
    assert stored == "Giraffe "
    found = api.get("_search", params={"q": "giraffe"}).json()["items"]
    assert [hit["title"] for hit in found] == ["Old"]
