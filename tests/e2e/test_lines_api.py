"""``lines`` fields (issue 14 item 7) through the JSON API on SQLite and PostgreSQL.

The package in ``invoice_pkg``: an invoice whose ``items`` are ``invoice_line`` records
(``total = quantity * unit_price``), with rollups and a validation over their totals.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api
from ui_support import add_user, post_form, sign_in

TENANT = "billing"
PACKAGE = Path(__file__).parent / "invoice_pkg"


class World:
    """Tenant ``billing`` with an admin and a clerk."""

    def __init__(self, runtime: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
        reg = runtime.registry
        reg.create_tenant(TENANT)
        publish(runtime, TENANT, PACKAGE)
        self.runtime = runtime
        email = "clerk@billing.test"
        user = reg.ensure_user(email, "long enough secret", display_name="clerk")
        reg.add_membership(TENANT, user, ["clerk"])
        self.api = Api(client, TENANT, reg.create_token(TENANT, email))
        admin = "admin@billing.test"
        reg.add_membership(TENANT, reg.ensure_user(admin, "long enough secret"), ["admin"])
        self.admin = Api(client, TENANT, reg.create_token(TENANT, admin))
        auditor = "auditor@billing.test"
        reg.add_membership(TENANT, reg.ensure_user(auditor, "long enough secret"), ["auditor"])
        self.auditor = Api(client, TENANT, reg.create_token(TENANT, auditor))
        add_user(runtime, TENANT, "screens@billing.test", ["clerk"])

    def counts(self) -> tuple[int, int]:
        """Live invoices and live lines in the database."""
        app = self.runtime.app(TENANT)
        with self.runtime.engines.tenant_connection(TENANT) as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(
                    sa.select(sa.func.count()).where(t.c.deleted_at.is_(None))
                ).scalar_one()
                for t in (app.entities["invoice"].table, app.entities["invoice_line"].table)
            )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"lines-{request.param}")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    config = RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0)
    if request.param == "postgres":
        config = RuntimeConfig(
            data_dir=tmp / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config)
    try:
        with TestClient(app=create_app(runtime)) as client:
            yield World(runtime, client)
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


def _line(description: str, quantity: int, price: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "quantity": quantity, "unit_price": price, **extra}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _invoice(world: World, number: str, *lines: dict[str, Any]) -> dict[str, Any]:
    body = {"number": number, "items": list(lines)}
    return _ok(world.api.post("invoice", json=body), 201)  # type: ignore[no-any-return]


def test_create_read_and_edit_lines_in_one_save(world: World) -> None:
    made = _invoice(world, "F-1", _line("Desk", 2, "100.50"), _line("Chair", 4, "25"))
    assert [D(i["total"]) for i in made["items"]] == [D("201"), D("100")]
    assert D(made["subtotal"]) == D("301") and made["line_count"] == 2 and made["version"] == 1
    assert made["items"][0]["note"] == "F-1 / Desk"  # a line formula reads its parent
    assert "invoice" not in made["items"][0]  # the reference back is implied
    desk, chair = (i["id"] for i in made["items"])

    read = world.api.get(f"invoice/{made['id']}")
    assert read.headers["etag"] == '"1"' and _ok(read)["items"] == made["items"]
    expanded = _ok(world.api.get(f"invoice/{made['id']}", params={"expand": "owner_id"}))
    assert expanded["items"] == made["items"] and isinstance(expanded["owner_id"], dict)

    # Change the chair, drop the desk, add a lamp first: one PATCH, one new version.
    lines = [_line("Lamp", 1, "30"), {"id": chair, "quantity": 5}]
    changed = _ok(
        world.api.patch(f"invoice/{made['id']}", json={"items": lines}, headers={"If-Match": "1"})
    )
    assert [(i["description"], D(i["total"])) for i in changed["items"]] == [
        ("Lamp", D("30")),
        ("Chair", D("125")),
    ]
    assert changed["items"][1]["id"] == chair and D(changed["subtotal"]) == D("155")
    assert changed["version"] == 2
    assert world.api.get(f"invoice_line/{desk}").status_code == 404  # deleted with the edit
    # A PATCH without the lines field leaves them alone; expand= still works on lines' parent.
    same = _ok(world.api.patch(f"invoice/{made['id']}", json={"discount": "5"}))
    assert same["items"] == changed["items"] and D(same["total"]) == D("150")


def test_a_bad_line_is_named_and_nothing_is_saved(world: World) -> None:
    before = world.counts()
    bad = world.api.post(
        "invoice",
        json={"number": "F-2", "items": [_line("Ok", 1, "1"), _line("Bad", -3, "2"), {"x": 1}]},
    )
    assert bad.status_code == 422, bad.text
    errors = bad.json()["errors"]
    assert errors["items[1].quantity"] == ["The quantity cannot be negative."]
    assert "items[2].description" in errors and "items[2].x" in errors
    assert world.counts() == before
    dry = _ok(
        world.api.post(
            "invoice",
            params={"dry_run": "true"},
            json={"number": "F-2", "items": [_line("Bad", -3, "2")]},
        )
    )
    assert dry["would_save"] is False and "items[0].quantity" in dry["errors"]
    assert world.counts() == before


def test_parent_rule_sees_the_new_total(world: World) -> None:
    made = _invoice(world, "F-3", _line("Server", 1, "9000"))
    before = world.counts()
    too_much = world.api.patch(
        f"invoice/{made['id']}", json={"items": [{"id": made["items"][0]["id"], "quantity": 2}]}
    )
    assert too_much.status_code == 422
    assert too_much.json()["errors"] == {"total": ["An invoice above 10000 needs a contract."]}
    assert world.counts() == before
    assert _ok(world.api.get(f"invoice/{made['id']}"))["items"][0]["quantity"] == 1


@pytest.mark.parametrize(
    ("items", "field", "message"),
    [
        ([], "items", "At least one line."),
        ([_line(str(i), 1, "1") for i in range(26)], "items", "At most 25 lines."),
        ("nope", "items", "Send a list of lines (objects)."),
        ([{"id": 0}], "items[0].id", "A line id is a positive whole number."),
    ],
)
def test_line_counts_and_shapes_are_checked(
    world: World, items: Any, field: str, message: str
) -> None:
    before = world.counts()
    answer = world.api.post("invoice", json={"number": "F-x", "items": items})
    assert answer.status_code == 422 and answer.json()["errors"][field] == [message]
    assert world.api.post("invoice", json={"number": "F-y"}).json()["errors"] == {
        "items": ["At least one line."]
    }
    assert world.counts() == before


def test_another_parents_line_is_refused_and_stale_versions_conflict(world: World) -> None:
    mine = _invoice(world, "F-4", _line("A", 1, "1"))
    theirs = _invoice(world, "F-5", _line("B", 1, "2"))
    stolen = theirs["items"][0]["id"]
    answer = world.api.patch(
        f"invoice/{mine['id']}", json={"items": [{"id": stolen, "quantity": 9}]}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "items[0].id": [f"This record has no line with id {stolen}."]
    }
    moved = world.api.patch(
        f"invoice/{mine['id']}", json={"items": [_line("X", 1, "1", invoice=theirs["id"])]}
    )
    assert moved.status_code == 422 and "items[0].invoice" in moved.json()["errors"]
    assert _ok(world.api.get(f"invoice/{theirs['id']}"))["items"] == theirs["items"]
    assert _ok(world.api.get(f"invoice/{mine['id']}"))["items"] == mine["items"]

    world.api.patch(f"invoice/{mine['id']}", json={"items": [_line("C", 1, "3")]})
    stale = world.api.patch(
        f"invoice/{mine['id']}", json={"items": [_line("D", 1, "4")]}, headers={"If-Match": "1"}
    )
    assert stale.status_code == 409
    assert [i["description"] for i in _ok(world.api.get(f"invoice/{mine['id']}"))["items"]] == ["C"]


def test_a_patch_with_one_foreign_line_changes_none_of_the_others(world: World) -> None:
    mine = _invoice(world, "F-10", _line("A", 1, "1"), _line("B", 2, "1"))
    theirs = _invoice(world, "F-11", _line("Z", 1, "9"))
    a, b = (i["id"] for i in mine["items"])
    stolen = theirs["items"][0]["id"]
    before = world.counts()
    sent = [{"id": a, "quantity": 7}, _line("New", 1, "5"), {"id": stolen, "quantity": 3}]
    answer = world.api.patch(f"invoice/{mine['id']}", json={"items": sent})
    assert answer.status_code == 422
    assert answer.json()["errors"] == {
        "items[2].id": [f"This record has no line with id {stolen}."]
    }
    # The update of A, the new line and the delete of B all rolled back with it.
    assert world.counts() == before
    kept = _ok(world.api.get(f"invoice/{mine['id']}"))
    assert kept["items"] == mine["items"] and kept["version"] == mine["version"]
    assert _ok(world.api.get(f"invoice/{theirs['id']}"))["items"] == theirs["items"]
    assert b in [i["id"] for i in kept["items"]]
    # A whole number sent as 5.0 is the integer JSON Schema allows: the line is found.
    same = world.api.patch(f"invoice/{mine['id']}", json={"items": [{"id": float(a)}]})
    assert [i["id"] for i in _ok(same)["items"]] == [a]
    before = world.counts()
    # Replacing the lines is PATCH's job: the API has no PUT on a record.
    put = world.api.client.put(
        world.api.url(f"invoice/{mine['id']}"), json={"items": sent[:2]}, headers=world.api.headers
    )
    assert put.status_code == 405 and world.counts() == before
    doc = _ok(world.api.get("openapi.json"))
    assert "put" not in doc["paths"][f"/t/{TENANT}/api/invoice/{{id}}"]


def test_a_line_created_on_its_own_comes_last(world: World) -> None:
    made = _invoice(world, "F-8", _line("A", 1, "1"), _line("B", 1, "2"))
    alone = _ok(
        world.admin.post("invoice_line", json={**_line("C", 1, "4"), "invoice": made["id"]}), 201
    )
    body = _ok(world.api.get(f"invoice/{made['id']}"))
    assert [i["description"] for i in body["items"]] == ["A", "B", "C"]
    assert body["items"][2]["id"] == alone["id"] and D(body["subtotal"]) == D("7")


def test_hidden_line_fields_stay_hidden_inline(world: World) -> None:
    made = _invoice(world, "F-9", _line("A", 1, "1"))
    seen = _ok(world.auditor.get(f"invoice/{made['id']}"))["items"]
    assert "unit_price" not in seen[0] and seen[0]["description"] == "A"
    doc = _ok(world.auditor.get("openapi.json"))
    assert "unit_price" not in doc["components"]["schemas"]["InvoiceLine_Line"]["properties"]


def test_bulk_items_carry_their_lines(world: World) -> None:
    bulk = world.admin.post(
        "invoice/bulk",
        json=[{"number": "F-B1", "items": [_line("A", 2, "3")]}, {"number": "F-B2", "items": []}],
    )
    assert bulk.status_code == 200, bulk.text
    first, second = bulk.json()["items"]
    assert D(first["record"]["subtotal"]) == D("6")
    assert second["errors"] == {"items": ["At least one line."]}


def test_delete_and_restore_take_the_lines_along(world: World) -> None:
    made = _invoice(world, "F-6", _line("A", 1, "1"), _line("B", 2, "1"))
    line = made["items"][0]["id"]
    assert world.admin.delete(f"invoice/{made['id']}").status_code == 204
    assert world.admin.get(f"invoice_line/{line}").status_code == 404
    binned = _ok(world.admin.get("invoice/_deleted"))["items"]
    assert next(b for b in binned if b["id"] == made["id"]).get("items") is None  # no lines
    answer = _ok(world.admin.post(f"invoice/{made['id']}/_restore"))
    assert [i["id"] for i in answer["items"]] == [i["id"] for i in made["items"]]
    restored = _ok(world.admin.get(f"invoice/{made['id']}"))
    assert [i["id"] for i in restored["items"]] == [i["id"] for i in made["items"]]


def test_openapi_describes_the_lines_exactly(world: World) -> None:
    doc = _ok(world.api.get("openapi.json"))
    schemas = doc["components"]["schemas"]

    def check(name: str, body: Any) -> list[str]:
        root = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
        return [e.message for e in jsonschema.Draft202012Validator(root).iter_errors(body)]

    sent = schemas["Invoice_Create"]["properties"]["items"]
    assert (
        sent["minItems"] == 1
        and sent["maxItems"] == 25
        and "items" in schemas["Invoice_Create"]["required"]
    )
    assert "invoice" not in schemas["InvoiceLine_Line"]["properties"]
    assert "items" not in schemas["Invoice_Deleted"]["required"]  # the bin lists no lines
    made = _invoice(world, "F-7", _line("A", 1, "1.5"))
    assert check("Invoice", made) == []
    assert check("Invoice_Create", {"number": "F", "items": [_line("A", 1, "2")]}) == []
    assert check("Invoice_Update", {"items": [{"id": 3, "quantity": 2}]}) == []
    assert check("Invoice_Create", {"number": "F", "items": []}) != []
    assert check("Invoice_Update", {"items": [{"quantity": 2}]}) != []  # new: needs fields
    assert check("Invoice_Update", {"items": [{"id": 3, "invoice": 4}]}) != []


def test_form_edits_lines_as_a_table_and_detail_shows_totals(world: World) -> None:
    client = TestClient(app=create_web_app(world.runtime))
    client.__enter__()
    assert sign_in(client, TENANT, "screens@billing.test").status_code in (302, 303)
    form = client.get(f"/t/{TENANT}/e/invoice/new")
    assert 'data-lines="items"' in form.text and 'name="items-present"' in form.text
    assert "<script>" not in form.text.split("<body", 1)[1].replace('<script src="', "")
    row = client.get(f"/t/{TENANT}/e/invoice/_line_row", params={"field": "items"})
    key = re.search(r'name="items-(n[0-9a-f]+)-quantity"', row.text)
    assert row.status_code == 200 and key is not None
    fields = {
        "number": "F-S1",
        "items-present": "1",
        "items-r0-description": "Desk",
        "items-r0-quantity": "2",
        "items-r0-unit_price": "10",
        f"items-{key[1]}-description": "Chair",
        f"items-{key[1]}-quantity": "-1",
        f"items-{key[1]}-unit_price": "5",
        "items-r9-description": "",  # an empty new row is ignored
    }
    bad = post_form(client, f"/t/{TENANT}/e/invoice", fields)
    assert bad.status_code == 422 and "The quantity cannot be negative." in bad.text
    assert 'value="Chair"' in bad.text  # what was typed stays
    fields[f"items-{key[1]}-quantity"] = "3"
    done = post_form(client, f"/t/{TENANT}/e/invoice", fields, follow_redirects=False)
    assert done.status_code in (302, 303), done.text
    detail = client.get(done.headers["location"])
    assert 'data-lines="items"' in detail.text and detail.text.count("data-line=") == 2
    subtotal = re.search(r'id="total-subtotal">([^<]*)<', detail.text)
    assert subtotal is not None and subtotal[1].strip().startswith("35")
    ident = int(done.headers["location"].rsplit("/", 1)[1])
    stored = _ok(world.api.get(f"invoice/{ident}"))["items"]
    edit = client.get(f"/t/{TENANT}/e/invoice/{ident}/edit")
    assert f'name="items-r0-id" value="{stored[0]["id"]}"' in edit.text
    removed = post_form(
        client,
        f"/t/{TENANT}/e/invoice/{ident}",
        {
            "number": "F-S1",
            "version": "1",
            "items-present": "1",
            "items-r0-id": str(stored[0]["id"]),
            "items-r0-remove": "on",
            "items-r1-id": str(stored[1]["id"]),
            "items-r1-quantity": "4",
        },
        follow_redirects=False,
    )
    assert removed.status_code in (302, 303), removed.text
    after = _ok(world.api.get(f"invoice/{ident}"))
    assert [(i["description"], i["quantity"]) for i in after["items"]] == [("Chair", 4)]
    client.__exit__(None, None, None)
