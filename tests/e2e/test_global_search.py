"""Global search (issue 17 item 6): full-text index kept in the save transaction,
prefix and accent-insensitive matching, ranking, snippets, scope, hidden fields,
bad input, tenant isolation and ``trellis search reindex``."""

from __future__ import annotations

import os
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.search.fields import indexed_fields
from trellis.platform.search.tables import index_table
from trellis.ui.screens.app import create_web_app

from helpers import Api, PackageWriter
from ui_support import sign_in

PERSON = """
    label: Person
    title: name
    search: [name, city, secret_note, age]
    fields:
      name: {type: string, required: true}
      city: {type: string}
      secret_note: {type: text}
      age: {type: integer}
"""
MEMO = """
    label: Memo
    title: title
    search: [title, body]
    fields:
      title: {type: string, required: true}
      body: {type: rich_text}
"""
ROLES = """
roles:
  clerk:
    entities:
      person:
        actions: [create, read, update, delete]
        scope: own
        fields: {secret_note: hidden}
"""
PASSWORD = "long enough secret"


def _member(runtime: Runtime, client: TestClient[Any], tenant: str, email: str, role: str) -> Api:
    reg = runtime.registry
    reg.add_membership(tenant, reg.ensure_user(email, PASSWORD), [role])
    return Api(client, tenant, reg.create_token(tenant, email))


def _tenant(
    runtime: Runtime, client: TestClient[Any], write_package: PackageWriter, name: str
) -> Api:
    root = write_package({"person": PERSON, "memo": MEMO})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    runtime.registry.create_tenant(name)
    publish(runtime, name, root)
    return _member(runtime, client, name, f"admin@{name}.test", "admin")


@pytest.fixture
def admin(runtime: Runtime, client: TestClient[Any], write_package: PackageWriter) -> Api:
    """Tenant ``srch`` (persons and memos, a ``clerk`` role) and its admin."""
    return _tenant(runtime, client, write_package, "srch")


def _find(api: Api, q: str, **params: str) -> list[dict[str, Any]]:
    response = api.get("_search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _titles(api: Api, q: str) -> list[str]:
    return [hit["title"] for hit in _find(api, q)]


def _create(api: Api, entity: str, **body: Any) -> int:
    response = api.post(entity, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_search_is_accent_and_case_insensitive_by_prefix_ranked_with_escaped_snippets(
    admin: Api, runtime: Runtime
) -> None:
    _create(admin, "person", name="José García", city="Málaga")
    _create(admin, "person", name="Josefa Ruiz", city="Jaén")
    _create(admin, "person", name="<b>Ana</b> & Co", city="Cádiz")
    _create(admin, "memo", title="Visit", body="<p>Met <em>José</em> in Málaga; José agreed.</p>")
    assert sorted(_titles(admin, "jose")) == ["Josefa Ruiz", "José García", "Visit"]
    assert _titles(admin, "JOSÉ garc") == ["José García"]
    assert sorted(_titles(admin, "MALAGA")) == ["José García", "Visit"]
    assert _titles(admin, "jaen") == ["Josefa Ruiz"]
    (hit,) = _find(admin, "jose garc")
    assert hit == {
        "entity": "person",
        "id": hit["id"],
        "title": "José García",
        "rank": hit["rank"],
        "snippet": "<mark>José</mark> <mark>García</mark>",
        "field": "name",
    }
    assert isinstance(hit["rank"], float) and hit["rank"] > 0
    (ana,) = _find(admin, "ana")
    assert ana["snippet"] == "&lt;b&gt;<mark>Ana</mark>&lt;/b&gt; &amp; Co"
    (memo,) = _find(admin, "agreed")
    assert memo["field"] == "body"  # a rich text's words, never its tags
    assert memo["snippet"] == "Met José in Málaga; José <mark>agreed</mark>."
    # The memo naming José twice ranks above the one-word title match of its kind.
    ranks = {h["title"]: h["rank"] for h in _find(admin, "jose")}
    assert ranks["Visit"] > 0 and ranks == dict(sorted(ranks.items(), key=lambda i: -i[1]))
    assert len(_find(admin, "jose", limit="1")) == 1
    # The screens' search (the top bar's target) shows the same hits and snippets.
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "srch", "admin@srch.test", PASSWORD).status_code == 303
        page = web.get("/t/srch/search", params={"q": "ana"})
    assert page.status_code == 200
    assert "&lt;b&gt;<mark>Ana</mark>&lt;/b&gt; &amp; Co" in page.text


def test_index_follows_create_update_delete_restore_and_bulk(admin: Api) -> None:
    ident = _create(admin, "person", name="Quillon", city="Oviedo")
    assert _titles(admin, "quill") == ["Quillon"]
    assert admin.patch(f"person/{ident}", json={"name": "Rapier"}).status_code == 200
    assert _titles(admin, "quill") == []
    assert _titles(admin, "rapier oviedo") == ["Rapier"]
    assert admin.delete(f"person/{ident}").status_code == 204
    assert _titles(admin, "rapier") == []
    assert admin.post(f"person/{ident}/_restore", json={}).status_code == 200
    assert _titles(admin, "rapier") == ["Rapier"]
    bulk = admin.post("person/bulk", json=[{"name": "Sabre Uno"}, {"name": "Sabre Dos"}])
    assert bulk.status_code == 200, bulk.text
    assert sorted(_titles(admin, "sabre")) == ["Sabre Dos", "Sabre Uno"]
    # A failed save leaves nothing in the index (same transaction).
    assert admin.post("person", json={"name": "Zweihander", "age": "old"}).status_code == 422
    assert _titles(admin, "zweihander") == []


def test_hidden_field_is_neither_matched_nor_shown_and_the_record_scope_applies(
    admin: Api, runtime: Runtime, client: TestClient[Any]
) -> None:
    clerk = _member(runtime, client, "srch", "clerk@srch.test", "clerk")
    _create(clerk, "person", name="Mine Valverde", city="Lugo")
    own = _find(clerk, "valverde")[0]["id"]
    assert admin.patch(f"person/{own}", json={"secret_note": "platypus"}).status_code == 200
    _create(admin, "person", name="Theirs Valverde", secret_note="platypus")
    _create(admin, "memo", title="Valverde memo")
    # The admin matches the hidden note and sees its snippet; the clerk neither.
    assert sorted(_titles(admin, "platypus")) == ["Mine Valverde", "Theirs Valverde"]
    assert {h["field"] for h in _find(admin, "platypus")} == {"secret_note"}
    assert _find(clerk, "platypus") == []
    assert _find(clerk, "mine platypus") == []
    # Scope own and no memo access: only the clerk's own person.
    assert _titles(clerk, "valverde") == ["Mine Valverde"]
    assert sorted(_titles(admin, "valverde")) == [
        "Mine Valverde",
        "Theirs Valverde",
        "Valverde memo",
    ]
    (hit,) = _find(clerk, "valverde lugo")
    assert hit["snippet"] == "Mine <mark>Valverde</mark>" and "platypus" not in str(hit)
    # The clerk's OpenAPI names only what the clerk's answers can hold.
    doc = clerk.get("openapi.json").json()
    props = doc["components"]["schemas"]["Trellis_SearchHit"]["properties"]
    assert props["entity"] == {"enum": ["person"]}
    assert props["field"]["anyOf"][0] == {"enum": ["city", "name"]}


#: Query texts full of FTS syntax, and whether "José García" holds every word in them.
SYNTAX = [
    ('"', False),
    ('""', False),
    ("*", False),
    ("jose*", True),
    ('"jose', True),
    ("NEAR(jose garcia)", False),
    ("jose NEAR garcia", False),
    ("-jose", True),
    ("jose -garcia", True),
    ("(jose", True),
    ("jose)", True),
    ("jose AND", False),
    ("OR", False),
    ("NOT jose", False),
    ("{name}: jose", False),
    ("name:jose", False),
    ("^jose", True),
    ("jose + garcia", True),
    ("'", False),
    ("\\", False),
    ("%", False),
    ("_", False),
    ("jose:*", True),
    ("!jose", True),
    ("a & | b", False),
    ("jo'se", False),
    ("ga*rcia", False),
    ("josé\tgarcía", True),
]


def test_fts_syntax_in_the_query_is_plain_text_never_a_500(admin: Api) -> None:
    _create(admin, "person", name="José García")
    for q, found in SYNTAX:
        assert _titles(admin, q) == (["José García"] if found else []), q


#: Bad ``_search`` parameters and the parameter each 400 names.
BAD = [
    ({"q": ""}, "q"),
    ({"q": "   "}, "q"),
    ({}, "q"),
    ({"q": "x" * 201}, "q"),
    ({"q": "jose\x00"}, "__all__"),
    ({"q": "jose", "limit": "0"}, "limit"),
    ({"q": "jose", "limit": "101"}, "limit"),
    ({"q": "jose", "lmit": "5"}, "lmit"),
]


def test_empty_overlong_or_misspelt_search_is_400(admin: Api) -> None:
    for params, field in BAD:
        response = admin.get("_search", params=params)
        assert response.status_code == 400, (params, response.text)
        assert field in response.json()["errors"], params
    assert len(_find(admin, "x" * 200)) == 0  # the longest text allowed


def test_a_tenant_never_sees_another_tenants_hits(
    admin: Api, runtime: Runtime, client: TestClient[Any], write_package: PackageWriter
) -> None:
    other = _tenant(runtime, client, write_package, "srch-two")
    _create(admin, "person", name="Ocelot Home")
    _create(other, "person", name="Ocelot Away")
    assert _titles(admin, "ocelot") == ["Ocelot Home"]
    assert _titles(other, "ocelot") == ["Ocelot Away"]
    # Another tenant's token is refused outright on this tenant's search.
    stranger = Api(admin.client, "srch", other.token)
    assert stranger.get("_search", params={"q": "ocelot"}).status_code == 401


def test_publish_adding_search_fields_and_reindex_rebuild_the_index(
    runtime: Runtime,
    client: TestClient[Any],
    write_package: PackageWriter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = "label: Place\ntitle: name\nsearch: [name]\nfields:\n  name: {type: string}\n"
    runtime.registry.create_tenant("reidx")
    publish(runtime, "reidx", write_package({"place": plain + "  region: {type: string}\n"}))
    admin = _member(runtime, client, "reidx", "admin@reidx.test", "admin")
    ident = _create(admin, "place", name="Harbour", region="Asturias")
    assert _titles(admin, "asturias") == []
    wider = plain.replace("search: [name]", "search: [name, region]")
    publish(runtime, "reidx", write_package({"place": wider + "  region: {type: string}\n"}))
    assert _titles(admin, "asturias") == ["Harbour"]
    # Rows written behind the platform's back are found after a reindex.
    entity = runtime.app("reidx").entities["place"]
    with runtime.engines.tenant_connection("reidx", write=True) as conn, conn.begin():
        t = entity.table
        conn.execute(t.update().where(t.c.id == ident).values(region="Cantabria"))
        table = index_table(conn.dialect.name, "place", indexed_fields(entity))
        conn.execute(table.delete())
    assert _titles(admin, "harbour") == []
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    assert main(["search", "reindex", "reidx", "--data-dir", str(runtime.config.data_dir)]) == 0
    assert _titles(admin, "cantabria harb") == ["Harbour"]
    assert main(["search", "reindex", "nosuch", "--data-dir", str(runtime.config.data_dir)]) != 0
