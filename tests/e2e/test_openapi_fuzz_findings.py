"""What schemathesis found (tests/e2e/test_schemathesis.py), one regression test each.

Each is a place where the per-tenant OpenAPI document and the server disagreed: the
document now says what the server does, or the server does what the document says.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from litestar.testing import TestClient
from openapi_spec_validator import validate as validate_openapi

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime

from helpers import Api


def _doc(api: Api) -> dict[str, Any]:
    response = api.get("openapi.json")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def _valid(doc: dict[str, Any], name: str, body: Any) -> bool:
    root = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
    return bool(validator.is_valid(body))


@pytest.fixture
def crm(runtime: Runtime, client: TestClient) -> Api:  # type: ignore[type-arg]
    """The CRM tenant with an admin token (its ticket entity has a workflow)."""
    create_tenant(runtime, "crm", "crm", "boss@crm.test", "long enough secret")
    return Api(client, "crm", runtime.registry.create_token("crm", "boss@crm.test"))


def test_a_whole_number_version_written_as_a_float_is_that_version(api: Api) -> None:
    ident = api.post("account", json={"name": "Acme"}).json()["id"]
    updated = api.patch(f"account/{ident}", json={"employees": 3, "version": 1.0})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert api.patch(f"account/{ident}", json={"version": 1.0}).status_code == 409
    half = api.patch(f"account/{ident}", json={"version": 2.5})
    assert half.status_code == 400
    assert half.json() == {"errors": {"version": ["Must be a whole number."]}}


def test_version_in_a_patch_is_documented_as_the_server_bounds_it(api: Api) -> None:
    doc = _doc(api)
    assert not _valid(doc, "Account_Update", {"version": -1})
    assert not _valid(doc, "Account_Update", {"version": 2**63})
    assert _valid(doc, "Account_Update", {"version": 0})
    ident = api.post("account", json={"name": "Acme"}).json()["id"]
    for bad in (-1, 2**63):
        assert api.patch(f"account/{ident}", json={"version": bad}).status_code == 400


def test_a_too_long_url_is_a_documented_414_in_the_error_format(api: Api) -> None:
    doc = _doc(api)
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert "414" in operation["responses"], operation["operationId"]
    response = api.get("account", params={"filter": "x" * 9000})
    assert response.status_code == 414
    assert list(response.json()["errors"]) == ["__all__"]


def test_written_urls_and_emails_carry_the_format_the_server_checks(api: Api) -> None:
    doc = _doc(api)
    create = doc["components"]["schemas"]["Account_Create"]["properties"]
    assert create["website"]["format"] == "uri"
    assert create["email"]["format"] == "email"
    assert "format" not in doc["components"]["schemas"]["Account"]["properties"]["website"]
    refused = api.post("account", json={"name": "A", "website": "http://a b"})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["website"]
    assert not _valid(doc, "Account_Create", {"name": "A", "website": "http://a/b c"})


def test_nul_in_written_text_is_documented_as_refused(api: Api) -> None:
    doc = _doc(api)
    for body in (
        {"name": "a\x00b"},
        {"name": "A", "notes": "\x00"},
        {"name": "A", "tags": ["x\x00"]},
        {"name": "A", "extra": {"k": ["\x00"]}},
        {"name": "A", "extra": {"k\x00": 1}},
    ):
        assert not _valid(doc, "Account_Create", body), body
        assert api.post("account", json=body).status_code == 422, body
    assert _valid(doc, "Account_Create", {"name": "A", "notes": None, "extra": {"k": [1, None]}})


def test_bulk_upsert_key_lists_only_fields_that_can_match(api: Api) -> None:
    doc = _doc(api)
    keys = doc["components"]["schemas"]["Account_Bulk"]["oneOf"][1]["properties"]["upsert_key"]
    assert "email" in keys["enum"]
    for unmatchable in ("tags", "channels", "extra"):
        assert unmatchable not in keys["enum"]
        refused = api.post("account/bulk", json={"items": [], "upsert_key": unmatchable})
        assert refused.status_code == 400


def test_a_create_may_only_name_the_initial_state_of_a_workflow(crm: Api) -> None:
    doc = _doc(crm)
    status = doc["components"]["schemas"]["Ticket_Create"]["properties"]["status"]
    assert status["enum"] == ["new", None]
    # A PATCH may name any state: it runs the transition that leads there (or is a 409).
    assert "open" in doc["components"]["schemas"]["Ticket_Update"]["properties"]["status"]["enum"]
    refused = crm.post("ticket", json={"subject": "S", "status": "open"})
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["status"]
    assert crm.post("ticket", json={"subject": "S", "status": "new"}).status_code == 201


def test_transitions_are_documented_and_links_lead_from_a_create_to_them(crm: Api) -> None:
    doc = _doc(crm)
    validate_openapi(doc)
    item = doc["paths"]["/t/crm/api/ticket/{id}/transitions/{name}"]
    names = next(p for p in item["parameters"] if p.get("name") == "name")["schema"]["enum"]
    assert names == ["close", "open", "reopen", "resolve", "resume", "wait"]
    assert "/t/crm/api/account/{id}/transitions/{name}" not in doc["paths"]
    created = doc["paths"]["/t/crm/api/ticket"]["post"]["responses"]["201"]["links"]
    assert {name: link["operationId"] for name, link in created.items()} == {
        "read": "readTicket",
        "update": "updateTicket",
        "delete": "deleteTicket",
        "transition": "transitionTicket",
    }
    assert created["read"]["parameters"] == {"path.id": "$response.body#/id"}
    account = doc["paths"]["/t/crm/api/account"]["post"]["responses"]["201"]["links"]
    assert "transition" not in account
    # Following the links by hand: create, read, update, transition, delete.
    ticket = crm.post("ticket", json={"subject": "Printer"})
    ident = ticket.json()["id"]
    assert crm.get(f"ticket/{ident}").status_code == 200
    assert crm.patch(f"ticket/{ident}", json={"priority": "high"}).status_code == 200
    opened = crm.post(f"ticket/{ident}/transitions/open")
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert _valid(doc, "Ticket", opened.json())
    moved = crm.post(f"ticket/{ident}/transitions/open", json={"status": "closed"})
    assert moved.status_code in (409, 422)
    body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
    root = {**body, "components": doc["components"]}
    assert not jsonschema.Draft202012Validator(root).is_valid({"status": "closed"})
    assert crm.delete(f"ticket/{ident}").status_code == 204


def test_a_role_with_own_scope_is_documented_to_assign_records_to_itself(
    runtime: Runtime, crm: Api
) -> None:
    reg = runtime.registry
    rep = reg.ensure_user("rep@crm.test", "long enough secret")
    reg.add_membership("crm", rep, ["sales_rep"])
    api = Api(crm.client, "crm", reg.create_token("crm", "rep@crm.test"))
    doc = _doc(api)
    for part in ("Opportunity_Create", "Opportunity_Update"):
        assert doc["components"]["schemas"][part]["properties"]["owner_id"]["enum"] == [rep, None]
    admin_doc = _doc(crm)
    assert (
        "enum"
        not in admin_doc["components"]["schemas"]["Opportunity_Create"]["properties"]["owner_id"]
    )
    account = crm.post("account", json={"name": "Acme"}).json()["id"]
    deal = {"name": "D", "account": account, "owner_id": rep + 1000}
    refused = api.post("opportunity", json=deal)
    assert refused.status_code == 422 and list(refused.json()["errors"]) == ["owner_id"]
    assert not _valid(doc, "Opportunity_Create", deal)
    assert api.post("opportunity", json={**deal, "owner_id": rep}).status_code == 201


@pytest.mark.parametrize("blank", ["\x85", "\x1c", "\u3000 "])
def test_a_required_text_of_white_space_is_refused_as_documented(api: Api, blank: str) -> None:
    doc = _doc(api)
    assert not _valid(doc, "Account_Create", {"name": blank})
    refused = api.post("account", json={"name": blank})
    assert refused.status_code == 422
    assert refused.json() == {"errors": {"name": ["This field is required."]}}
    assert _valid(doc, "Account_Create", {"name": "\ufeff"})
    assert api.post("account", json={"name": "\ufeff"}).status_code == 201
