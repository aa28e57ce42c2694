"""Every read path through the caller's policy: reference filters, aggregates, search,
autocomplete and export (scope, conditions, hidden fields)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from authz_support import World, build_world
from litestar.testing import TestClient
from openpyxl import load_workbook

from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter, make_tenant


@pytest.fixture
def world(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> World:  # type: ignore[type-arg]
    return build_world(runtime, client, write_package)


def _ids(api: Api, entity: str, **params: Any) -> set[int]:
    response = api.get(entity, params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def _two_reps(world: World) -> dict[str, int]:
    """rep ``a`` owns account "Alpha" and a deal on it; rep ``b`` owns "Beta" and a deal."""
    world.member("a", ["rep"])
    world.member("b", ["rep"])
    made = {
        "alpha": world.make("a", "account", name="Alpha", city="Paris"),
        "beta": world.make("b", "account", name="Beta", city="Paris"),
    }
    made["deal_a"] = world.make(
        "a", "deal", name="A deal", amount="100", account=made["alpha"], stage="new",
        close_date="2026-03-10",
    )  # fmt: skip
    made["deal_b_on_alpha"] = world.make(
        "b", "deal", name="B deal", amount="50", account=made["alpha"], stage="new",
        close_date="2026-03-20",
    )  # fmt: skip
    made["deal_b"] = world.make(
        "b", "deal", name="B2 deal", amount="7", account=made["beta"], stage="won",
        close_date="2026-04-01",
    )  # fmt: skip
    return made


def test_filter_through_reference_does_not_reveal_unreadable_records(world: World) -> None:
    made = _two_reps(world)
    b = world.apis["b"]
    # b cannot read account Alpha (own scope), so filtering b's deals on its name
    # finds nothing, exactly as for a name that does not exist.
    assert _ids(b, "deal", filter='account.name == "Alpha"') == set()
    assert _ids(b, "deal", filter='account.name == "Nope"') == set()
    assert _ids(b, "deal", filter='account.name == "Beta"') == {made["deal_b"]}
    assert _ids(b, "deal", filter="account.name is empty") == {made["deal_b_on_alpha"]}
    # The admin sees both through the reference.
    both = _ids(world.admin, "deal", filter='account.name == "Alpha"')
    assert both == {made["deal_a"], made["deal_b_on_alpha"]}


def test_hidden_field_of_a_referenced_entity_is_an_unknown_field(world: World) -> None:
    _two_reps(world)
    world.member("eu", ["regional"])
    response = world.apis["eu"].get("deal", params={"filter": 'account.secret == "s"'})
    assert response.status_code == 400
    assert "Unknown field 'secret'" in response.json()["errors"]["filter"][0]
    # A viewer may not read accounts at all: every account field is unknown to it.
    world.member("v", ["viewer"])
    refused = world.apis["v"].get("deal", params={"filter": 'account.name == "Alpha"'})
    assert refused.status_code == 400


def test_forecast_and_stage_statistics_apply_the_scope(world: World) -> None:
    _two_reps(world)
    a, b = world.apis["a"], world.apis["b"]
    admin_total = world.admin.get("_forecast", params={"pipeline": "sales"}).json()["total"]
    assert admin_total == {"amount": "157.00", "weighted": "22.00", "count": 3}
    a_total = a.get("_forecast", params={"pipeline": "sales"}).json()["total"]
    assert a_total == {"amount": "100.00", "weighted": "10.00", "count": 1}
    b_total = b.get("_forecast", params={"pipeline": "sales"}).json()["total"]
    assert b_total == {"amount": "57.00", "weighted": "12.00", "count": 2}
    stages = {
        s["stage"]: s for s in a.get("_stages", params={"pipeline": "sales"}).json()["stages"]
    }
    assert stages["new"]["current"] == 1 and stages["won"]["current"] == 0
    admin_stages = world.admin.get("_stages", params={"pipeline": "sales"}).json()["stages"]
    assert {s["stage"]: s["current"] for s in admin_stages}["new"] == 2
    world.member("nobody", [])
    assert world.apis["nobody"].get("_forecast", params={"pipeline": "sales"}).status_code == 403
    assert world.apis["nobody"].get("_stages", params={"pipeline": "sales"}).status_code == 403


def test_search_is_scoped_and_skips_hidden_fields(world: World) -> None:
    made = _two_reps(world)
    found = world.apis["a"].get("_search", params={"q": "deal"}).json()["items"]
    assert {(h["entity"], h["id"]) for h in found} == {("deal", made["deal_a"])}
    paris = world.apis["a"].get("_search", params={"q": "paris"}).json()["items"]
    assert [(h["entity"], h["id"], h["title"]) for h in paris] == [
        ("account", made["alpha"], "Alpha")
    ]
    assert "<mark>" in paris[0]["snippet"].lower()  # the matching words, highlighted
    admin = world.admin.get("_search", params={"q": "PARIS"}).json()["items"]
    assert {h["id"] for h in admin} == {made["alpha"], made["beta"]}
    two_words = world.admin.get("_search", params={"q": "b2 deal"}).json()["items"]
    assert [h["id"] for h in two_words] == [made["deal_b"]]
    assert len(world.admin.get("_search", params={"q": "a", "limit": "1"}).json()["items"]) == 1
    # Wildcards are literal text.
    assert world.admin.get("_search", params={"q": "%"}).json()["items"] == []
    world.member("nobody", [])
    assert world.apis["nobody"].get("_search", params={"q": "deal"}).json()["items"] == []


def test_search_refuses_bad_input(world: World) -> None:
    assert world.admin.get("_search").status_code == 400
    assert world.admin.get("_search", params={"q": "  "}).status_code == 400
    assert world.admin.get("_search", params={"q": "x" * 201}).status_code == 400
    assert world.admin.get("_search", params={"q": "x", "limit": "0"}).status_code == 400
    assert world.admin.get("_search", params={"q": "x", "limit": "many"}).status_code == 400
    assert world.admin.client.get("/t/scope/api/_search?q=x").status_code == 401


def test_autocomplete_returns_scoped_titles(world: World) -> None:
    made = _two_reps(world)
    mine = world.apis["a"].get("account/_autocomplete", params={"q": "a"}).json()
    assert mine == [{"id": made["alpha"], "title": "Alpha"}]
    everything = world.admin.get("account/_autocomplete").json()
    assert everything == [
        {"id": made["alpha"], "title": "Alpha"},
        {"id": made["beta"], "title": "Beta"},
    ]
    assert world.admin.get("account/_autocomplete", params={"q": "bet"}).json() == [
        {"id": made["beta"], "title": "Beta"}
    ]
    assert world.admin.get("account/_autocomplete", params={"limit": "1"}).json() == [
        {"id": made["alpha"], "title": "Alpha"}
    ]
    world.member("v", ["viewer"])
    assert world.apis["v"].get("account/_autocomplete").status_code == 403
    assert world.admin.get("nothing/_autocomplete").status_code == 404
    assert world.admin.get("account/_autocomplete", params={"limit": "101"}).status_code == 400


def test_export_needs_the_export_action_and_is_audited(world: World) -> None:
    made = _two_reps(world)
    response = world.apis["a"].get("deal/_export", params={"format": "json"})
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()] == [made["deal_a"]]
    assert response.headers["content-disposition"].startswith('attachment; filename="deal-')
    world.member("v", ["viewer"])
    refused = world.apis["v"].get("deal/_export", params={"format": "csv"})
    assert refused.status_code == 403 and "export" in refused.text
    audit = world.admin.get("_audit", params={"action": "export"}).json()["items"]
    assert audit[0]["actor"] == "a@scope.test"
    assert audit[0]["target"] == "entity:deal"
    assert audit[0]["detail"]["rows"] == 1 and audit[0]["detail"]["format"] == "json"


def test_export_formats_leave_hidden_fields_out(world: World) -> None:
    world.make("admin", "account", name="Lyon SA", city="=cmd()", region="EU", secret="x")
    world.make("admin", "account", name="Austin", region="US", secret="y")
    world.member("eu", ["regional"])
    world.admin.patch(f"_users/{world.ids['eu']}", json={"attributes": {"region": "EU"}})
    eu = world.apis["eu"]
    text = eu.get("account/_export", params={"format": "csv"})
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert [r["name"] for r in rows] == ["Lyon SA"]
    assert "secret" not in rows[0]
    assert rows[0]["city"] == "'=cmd()"  # no formula injection
    book = eu.get("account/_export", params={"format": "xlsx"})
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content), read_only=True).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert "secret" not in values[0] and values[1][values[0].index("name")] == "Lyon SA"
    filtered = eu.get("account/_export", params={"format": "json", "filter": 'city == "x"'})
    assert filtered.json() == []
    hidden = eu.get("account/_export", params={"format": "json", "filter": 'secret == "x"'})
    assert hidden.status_code == 400
    named = eu.get("account/_export", params={"format": "json", "fields": "name,secret"})
    assert named.status_code == 400
    assert eu.get("account/_export", params={"format": "pdf"}).status_code == 400
    some = eu.get("account/_export", params={"format": "json", "fields": "name"}).json()
    assert some == [{"id": some[0]["id"], "name": "Lyon SA"}]


def test_export_names_references_and_owners_as_the_caller_sees_them(world: World) -> None:
    made = _two_reps(world)
    b = world.apis["b"]
    fields = {"fields": "name,account,owner_id"}
    text = b.get("deal/_export", params={"format": "csv", **fields})
    assert text.status_code == 200, text.text
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(text.text))}
    assert rows["B2 deal"]["account"] == "Beta"
    # Alpha belongs to rep a: b sees the deal on it, not the account's name.
    assert rows["B deal"]["account"] == f"#{made['alpha']}"
    assert rows["B deal"]["owner_id"] == "b"  # the member's display name
    lines = b.get("deal/_export", params={"format": "jsonl", **fields})
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    parsed = [json.loads(line) for line in lines.text.splitlines()]
    assert {r["account"] for r in parsed} == {"Beta", f"#{made['alpha']}"}
    raw = b.get("deal/_export", params={"format": "json", "ids": "true", **fields}).json()
    assert {r["account"] for r in raw} == {made["alpha"], made["beta"]}
    assert {r["owner_id"] for r in raw} == {world.ids["b"]}
    bad = b.get("deal/_export", params={"format": "json", "ids": "maybe"})
    assert bad.status_code == 400 and "ids" in bad.json()["errors"]


def test_read_paths_are_callable_in_process(world: World) -> None:
    """The screens call the same methods without HTTP."""
    made = _two_reps(world)
    from trellis.platform.api.gate import ApiGate
    from trellis.platform.records.views import encode
    from trellis.platform.services.caller import readable_entity

    api = ApiGate(world.runtime)
    reads = api.services.reads
    call = api.call("scope", world.apis["a"].headers["Authorization"])
    entity = readable_entity(call, "account")
    assert b'"Alpha"' in encode([h.as_json() for h in reads.search(call, "alpha")])
    assert encode(
        [h.as_json(with_entity=False) for h in reads.autocomplete(call, entity, "al")]
    ) == (b'[{"id":%d,"title":"Alpha"}]' % made["alpha"])
    exported = reads.export(call, readable_entity(call, "deal"), "json")
    assert exported.media_type == "application/json"


def test_other_tenants_tokens_reach_no_read_path(
    world: World, runtime: Runtime, write_package: PackageWriter
) -> None:
    _two_reps(world)
    other = Api(world.client, "scope", make_tenant(runtime, write_package, "other"))
    for path, params in (
        ("_search", {"q": "deal"}),
        ("account/_autocomplete", {}),
        ("deal/_export", {"format": "json"}),
        ("_users", {}),
        ("_forecast", {"pipeline": "sales"}),
    ):
        response = other.get(path, params=params)
        assert response.status_code == 401, (path, response.text)
        assert "Alpha" not in response.text
