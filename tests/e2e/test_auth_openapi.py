"""Bearer tokens bound to one tenant, and the per-tenant OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
from litestar.testing import TestClient

from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import ACCOUNT, Api, PackageWriter, make_tenant


def test_missing_or_bad_token_is_401(api: Api) -> None:
    assert api.client.get("/t/acme/api/account").status_code == 401
    bad = api.client.get("/t/acme/api/account", headers={"Authorization": "Bearer trl_nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"
    basic = api.client.get("/t/acme/api/account", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_expired_token_is_401(api: Api, runtime: Runtime) -> None:
    token = runtime.registry.create_token(
        "acme", "admin@acme.test", expires_in=timedelta(seconds=-1)
    )
    response = api.client.get("/t/acme/api/account", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_works_only_for_its_own_tenant(
    api: Api, runtime: Runtime, write_package: PackageWriter
) -> None:
    other_token = make_tenant(runtime, write_package, "globex")
    other = Api(api.client, "globex", other_token)
    secret = api.post("account", json={"name": "Acme secret"}).json()
    assert other.post("account", json={"name": "Globex"}).status_code == 201

    # B's token on A's URLs: refused outright
    cross = Api(api.client, "acme", other_token)
    assert cross.get("account").status_code == 401
    assert cross.get(f"account/{secret['id']}").status_code == 401
    assert cross.patch(f"account/{secret['id']}", json={"name": "x"}).status_code == 401
    assert cross.delete(f"account/{secret['id']}").status_code == 401
    assert cross.get("openapi.json").status_code == 401
    # B's own API never shows A's rows, by id, list or filter
    assert [i["name"] for i in other.get("account").json()["items"]] == ["Globex"]
    assert other.get("account", params={"filter": 'name == "Acme secret"'}).json()["count"] == 0
    assert api.get(f"account/{secret['id']}").json()["name"] == "Acme secret"


def test_unknown_tenant(api: Api) -> None:
    response = api.client.get("/t/nowhere/api/account", headers=api.headers)
    assert response.status_code == 401


def test_openapi_describes_the_tenant_entities(api: Api) -> None:
    response = api.get("openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    assert {"Account", "Contact", "Errors"} <= set(schemas)
    account = schemas["Account"]
    jsonschema.Draft202012Validator.check_schema(account)
    assert account["properties"]["industry"]["enum"] == ["retail", "tech", "finance", None]
    assert account["properties"]["double_employees"]["readOnly"] is True
    assert "/t/acme/api/account/{id}" in doc["paths"]
    record = api.post("account", json={"name": "Valid", "revenue": "10.00"}).json()
    jsonschema.validate(record, account, format_checker=jsonschema.FormatChecker())


def test_new_entity_appears_without_restart(
    api: Api, runtime: Runtime, write_package: PackageWriter, client: TestClient
) -> None:  # type: ignore[type-arg]
    before = api.get("openapi.json").json()
    assert "Invoice" not in before["components"]["schemas"]
    invoice = """
        label: Invoice
        fields:
          number: {type: string, required: true}
          total: {type: money}
    """
    publish(
        runtime, "acme", write_package({"account": ACCOUNT, "invoice": invoice}, version="2.0.0")
    )
    created = api.post("invoice", json={"number": "INV-1", "total": 99.5})
    assert created.status_code == 201, created.text
    assert created.json()["total"] == "99.50"
    after: dict[str, Any] = api.get("openapi.json").json()
    assert "Invoice" in after["components"]["schemas"]
    assert "/t/acme/api/invoice" in after["paths"]
