"""The per-tenant OpenAPI document describes what the server does (issue 12, item 11)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import jsonschema
import pytest
from litestar.testing import TestClient
from openapi_spec_validator import validate as validate_openapi

from trellis.cli import create_tenant
from trellis.platform.api.openapi_schemas import NOT_BLANK
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import ACCOUNT, CONTACT, Api, PackageWriter, make_tenant

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
TENANT = "roles"
NOTE = """
    label: Note
    title: text
    fields:
      text: {type: text, required: true}
"""
ROLES = """
roles:
  clerk:
    entities:
      account:
        actions: [create, read, update]
        scope: all
        fields: {revenue: hidden, owner_user: hidden, rating: read_only}
      contact: {actions: [read], scope: all}
"""


#: Digests of documents openapi-spec-validator accepted (about 10 s each for the CRM's).
_VALID_DOCUMENTS: set[str] = set()


def _doc(api: Api) -> dict[str, Any]:
    response = api.get("openapi.json")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def _validator(doc: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    """A validator of component schema ``name`` that resolves the document's $refs."""
    root = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def _conforms(doc: dict[str, Any], name: str, body: Any) -> None:
    errors = [e.message for e in _validator(doc, name).iter_errors(body)]
    assert errors == [], (name, body)


@pytest.fixture
def clerk(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant ``roles`` with a member whose role hides and locks account fields."""
    root = write_package({"account": ACCOUNT, "contact": CONTACT, "note": NOTE})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    reg = runtime.registry
    reg.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    user = reg.ensure_user("clerk@roles.test", "long enough secret")
    reg.add_membership(TENANT, user, ["clerk"])
    return Api(client, TENANT, reg.create_token(TENANT, "clerk@roles.test"))


def test_openapi_document_is_valid_openapi_31_for_admins_and_restricted_roles(
    api: Api, clerk: Api
) -> None:
    for doc in (_doc(api), _doc(clerk)):
        validate_openapi(doc)
        for schema in doc["components"]["schemas"].values():
            jsonschema.Draft202012Validator.check_schema(schema)


def test_every_operation_documents_its_error_answers_and_headers(api: Api) -> None:
    doc = _doc(api)
    responses = doc["components"]["responses"]
    assert responses["BadRequest"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Errors"
    }
    assert doc["components"]["schemas"]["Errors"]["required"] == ["errors"]
    assert responses["TooManyRequests"]["headers"]["Retry-After"]["required"] is True
    assert responses["ServiceUnavailable"]["headers"]["Retry-After"]["required"] is True
    assert "headers" not in responses["InsufficientStorage"]  # full: no point retrying soon
    account = doc["paths"]["/t/acme/api/account"]
    one = doc["paths"]["/t/acme/api/account/{id}"]
    bulk = doc["paths"]["/t/acme/api/account/bulk"]
    expected = [
        (account["get"], ("200", "400", "401", "403", "404", "429")),
        (account["post"], ("200", "201", "400", "401", "403", "404", "409", "413", "415", "422")),
        (one["get"], ("200", "400", "401", "403", "404", "429")),
        (one["patch"], ("200", "400", "401", "403", "404", "409", "413", "415", "422", "429")),
        (one["delete"], ("204", "400", "401", "403", "404", "409", "429")),
        (bulk["post"], ("200", "400", "401", "403", "404", "409", "413", "415", "429")),
    ]
    for operation, statuses in expected:
        assert set(statuses) <= set(operation["responses"]), operation["operationId"]
        assert "503" in operation["responses"], operation["operationId"]
    for operation in (account["post"], one["patch"], one["delete"], bulk["post"]):
        assert "507" in operation["responses"], operation["operationId"]
    assert one["get"]["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert "ETag" in account["post"]["responses"]["201"]["headers"]
    assert one["delete"]["responses"]["204"] == {"description": "Deleted."}
    names = {
        p["$ref"].rsplit("/", 1)[1]: doc["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        for p in account["get"]["parameters"]
    }
    assert [p["name"] for p in names.values()] == [
        "filter",
        "sort",
        "limit",
        "cursor",
        "fields",
        "expand",
        "as_of",
    ]
    assert names["Limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert names["Account_expand"]["schema"]["items"]["enum"] == [
        "owner_user",
        "owner",
        "owner_id",
        "created_by",
        "updated_by",
    ]


def test_options_allow_lists_exactly_the_documented_methods(api: Api) -> None:
    doc = _doc(api)
    assert doc["paths"]
    for template, item in doc["paths"].items():
        path = template.replace("{id}", "1")
        documented = {m.upper() for m in item if m in METHODS} | {"OPTIONS"}
        response = api.client.options(path)
        assert response.status_code == 204, path
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == documented, path


def test_options_on_a_list_path_names_post(api: Api) -> None:
    response = api.client.options("/t/acme/api/account")
    assert response.headers["allow"] == "GET, OPTIONS, POST"
    record = api.client.options("/t/acme/api/account/7")
    assert record.headers["allow"] == "DELETE, GET, OPTIONS, PATCH"


@pytest.mark.parametrize("value", ["", "0", "-1", "abc", "501", "1.5", "\uff11", " 5", "1" * 30])
def test_limit_outside_one_to_max_page_size_is_400(api: Api, value: str) -> None:
    response = api.get("account", params={"limit": value})
    assert response.status_code == 400, value
    assert list(response.json()["errors"]) == ["limit"]


def test_empty_limit_is_400(api: Api) -> None:
    response = api.get("account?limit=")
    assert response.status_code == 400
    assert response.json() == {"errors": {"limit": ["'' is not a whole number between 1 and 500."]}}
    assert api.get("account", params={"limit": "500"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("fields=%0D", "fields"),
        ("fields=", "fields"),
        ("fields=name,,email", "fields"),
        ("fields=%20", "fields"),
        ("sort=", "sort"),
        ("sort=name,", "sort"),
        ("expand=", "expand"),
    ],
)
def test_blank_names_in_list_parameters_are_400(api: Api, query: str, param: str) -> None:
    api.post("account", json={"name": "Acme"})
    response = api.get(f"account?{query}")
    assert response.status_code == 400, query
    assert list(response.json()["errors"]) == [param]


def test_whitespace_fields_no_longer_return_only_ids(api: Api) -> None:
    api.post("account", json={"name": "Acme"})
    response = api.get("account?fields=%0D")
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"fields": ["Name at least one field, or leave fields out (got '\\r')."]}
    }


def test_required_string_refuses_empty_and_blank_values(api: Api) -> None:
    doc = _doc(api)
    name = doc["components"]["schemas"]["Account_Create"]["properties"]["name"]
    assert (name["type"], name["minLength"], name["pattern"]) == ("string", 1, NOT_BLANK)
    assert doc["components"]["schemas"]["Account_Create"]["required"] == ["name"]
    required = {"errors": {"name": ["This field is required."]}}
    for value in ("", "   ", "\t\n"):
        for dry_run in ({}, {"dry_run": "true"}):
            response = api.post("account", params=dry_run, json={"name": value})
            assert response.status_code == 422, (value, dry_run)
            assert response.json() == required
    account = api.post("account", json={"name": "Acme"}).json()
    cleared = api.patch(f"account/{account['id']}", json={"name": ""})
    assert cleared.status_code == 422 and cleared.json() == required
    assert api.get("account").json()["count"] == 1


def test_owner_id_is_documented_and_checked_as_a_user_id(api: Api) -> None:
    doc = _doc(api)
    for name in ("Account", "Account_Create", "Account_Update"):
        owner = doc["components"]["schemas"][name]["properties"]["owner_id"]
        branch = owner["anyOf"][0] if "anyOf" in owner else owner
        assert branch["minimum"] == 1, name
    for bad in (0, -1):
        response = api.post("account", json={"name": "Acme", "owner_id": bad})
        assert response.status_code == 422
        assert list(response.json()["errors"]) == ["owner_id"]


def test_unknown_query_parameter_is_400_and_changes_nothing(api: Api) -> None:
    record = api.post("account", json={"name": "Acme"}).json()
    misspelt = api.get("account", params={"limt": "5"})
    assert misspelt.status_code == 400
    assert misspelt.json() == {
        "errors": {
            "limt": [
                "Unknown query parameter (did you mean 'limit'?); this operation takes: "
                "as_of, cursor, expand, fields, filter, limit, sort."
            ]
        }
    }
    deleted = api.delete(f"account/{record['id']}", params={"dry_run": "true"})
    assert deleted.status_code == 400
    assert api.get(f"account/{record['id']}").status_code == 200
    assert api.get(f"account/{record['id']}", params={"fields": "name"}).status_code == 400
    assert api.post("account/bulk", params={"upsert": "1"}, json=[]).status_code == 400


def test_dry_run_flag_must_be_true_or_false(api: Api) -> None:
    response = api.post("account", params={"dry_run": "maybe"}, json={"name": "Acme"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"dry_run": ["'maybe' is not true or false."]}}
    assert api.post("account", params={"dry_run": "TRUE"}, json={"name": "A"}).status_code == 200
    assert api.post("account", params={"dry_run": "0"}, json={"name": "B"}).status_code == 201
    assert [i["name"] for i in api.get("account").json()["items"]] == ["B"]


def test_dry_run_of_a_malformed_body_is_422_like_a_save(api: Api) -> None:
    response = api.post("account", params={"dry_run": "true"}, json={"name": "A", "xyz": 1})
    assert response.status_code == 422
    assert response.json() == {"errors": {"xyz": ["Unknown field 'xyz'."]}}
    refused = api.post("account", params={"dry_run": "true"}, json={"name": "forbidden"})
    assert refused.status_code == 200
    assert refused.json()["would_save"] is False
    assert api.get("account").json()["count"] == 0


def test_idempotency_key_longer_than_128_characters_is_400(api: Api) -> None:
    response = api.post("account", headers={"Idempotency-Key": "k" * 129}, json={"name": "A"})
    assert response.status_code == 400
    assert response.json() == {"errors": {"Idempotency-Key": ["At most 128 characters."]}}
    dry = api.post(
        "account",
        params={"dry_run": "true"},
        headers={"Idempotency-Key": "k" * 129},
        json={"name": "A"},
    )
    assert dry.status_code == 400
    fine = api.post("account", headers={"Idempotency-Key": "k" * 128}, json={"name": "A"})
    assert fine.status_code == 201
    assert api.get("account").json()["count"] == 1


def test_record_id_beyond_bigint_is_404(api: Api) -> None:
    huge = "9999999999999999999"
    assert api.get(f"account/{huge}").status_code == 404
    assert api.patch(f"account/{huge}", json={"name": "x"}).status_code == 404
    assert api.delete(f"account/{huge}").status_code == 404
    assert api.get("account/\u00b2").status_code == 404


def test_answers_conform_to_the_documented_schemas(api: Api) -> None:
    doc = _doc(api)
    account = api.post("account", json={"name": "Acme", "owner_user": 1, "revenue": 10})
    assert account.status_code == 201
    _conforms(doc, "Account", account.json())
    ident = account.json()["id"]
    contact = api.post("contact", json={"last_name": "Doe", "account": ident}).json()
    _conforms(doc, "Contact", api.get(f"contact/{contact['id']}?expand=account,owner").json())
    page = api.get("contact", params={"expand": "account,created_by", "fields": "last_name"})
    _conforms(doc, "Contact_Page", page.json())
    assert page.json()["items"][0]["account"] == {"id": ident, "title": "Acme"}
    _conforms(doc, "Account", api.patch(f"account/{ident}", json={"share": 5}).json())
    dry = api.patch(f"account/{ident}", params={"dry_run": "1"}, json={"share": 6})
    _conforms(doc, "Trellis_DryRun", dry.json())
    _conforms(doc, "Trellis_BulkResult", api.post("account/bulk", json=[{"name": "B"}, {}]).json())
    for bad in (api.get("account?limit=0"), api.post("account", json={"name": 5})):
        _conforms(doc, "Errors", bad.json())
    _validator(doc, "Account_Create").validate({"name": "Acme", "owner_id": 1})
    assert not _validator(doc, "Account_Create").is_valid({"name": ""})
    assert not _validator(doc, "Account_Create").is_valid({"name": "A", "id": 3})
    assert _validator(doc, "Account_Update").is_valid({"version": 2})


def test_restricted_openapi_leaves_out_hidden_fields_read_only_inputs_and_unreadable_entities(
    clerk: Api,
) -> None:
    doc = _doc(clerk)
    schemas, params = doc["components"]["schemas"], doc["components"]["parameters"]
    assert not [path for path in doc["paths"] if "/note" in path]
    assert not [name for name in (*schemas, *params) if name.startswith("Note_") or name == "Note"]
    for name in ("Account", "Account_Item", "Account_Create", "Account_Update"):
        assert "revenue" not in schemas[name]["properties"], name
        assert "owner_user" not in schemas[name]["properties"], name
    assert "rating" in schemas["Account"]["properties"]
    assert "rating" not in schemas["Account_Create"]["properties"]
    assert "revenue" not in params["Account_fields"]["schema"]["items"]["enum"]
    assert "-revenue" not in params["Account_sort"]["schema"]["items"]["enum"]
    assert "owner_user" not in params["Account_expand"]["schema"]["items"]["enum"]
    assert "revenue" not in schemas["Account_Bulk"]["oneOf"][1]["properties"]["upsert_key"]["enum"]
    # What the document leaves out, the server refuses as the document says.
    assert clerk.get("account?expand=owner_user").status_code == 400
    written = clerk.post("account", json={"name": "A", "rating": 2})
    assert written.status_code == 422 and list(written.json()["errors"]) == ["rating"]


def test_an_entity_named_like_another_entitys_part_keeps_its_own_components(
    runtime: Runtime,
    client: TestClient,
    write_package: PackageWriter,  # type: ignore[type-arg]
) -> None:
    item = """
        label: Order item
        fields:
          qty: {type: integer, required: true}
    """
    order = """
        label: Order
        title: code
        fields:
          code: {type: string, required: true}
    """
    token = make_tenant(runtime, write_package, "shop", {"order": order, "order_item": item})
    doc = _doc(Api(client, "shop", token))
    validate_openapi(doc)
    schemas = doc["components"]["schemas"]
    assert "qty" in schemas["OrderItem"]["properties"]  # the order_item entity
    assert "code" in schemas["Order_Item"]["properties"]  # a listed order
    assert schemas["OrderItem_Create"]["required"] == ["qty"]
    assert schemas["Order_Create"]["required"] == ["code"]


def test_crm_openapi_is_valid_for_every_role(runtime: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    create_tenant(runtime, "crm", "crm", "boss@crm.test", "long enough secret")
    reg = runtime.registry
    tokens = {"admin": reg.create_token("crm", "boss@crm.test")}
    for role in runtime.app("crm").model.roles:
        user = reg.ensure_user(f"{role}@crm.test", "long enough secret")
        reg.add_membership("crm", user, [role])
        tokens[role] = reg.create_token("crm", f"{role}@crm.test")
    assert len(tokens) > 2
    allowed: dict[str, set[str]] = {}  # OPTIONS carries no token: one answer per path
    for role, token in tokens.items():
        doc = _doc(Api(client, "crm", token))
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
        if digest not in _VALID_DOCUMENTS:  # the same document on the other backend: done
            validate_openapi(doc)
            _VALID_DOCUMENTS.add(digest)
        for path, item in doc["paths"].items():
            if path not in allowed:
                response = client.options(path.replace("{id}", "1"))
                allowed[path] = set(response.headers["allow"].split(", "))
            documented = {m.upper() for m in item if m in METHODS} | {"OPTIONS"}
            assert allowed[path] == documented, (role, path)
