"""Roles from the CRM seed's roles.yaml, enforced on every path of the JSON API."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant, main
from trellis.metadata.model import AppModel
from trellis.platform.api.auth import TOKEN_CACHE_SECONDS
from trellis.platform.config import FakeClock
from trellis.platform.runtime import Runtime

from helpers import Api

TENANT = "sec"
#: A minimal valid record of each CRM entity (references filled in by ``_body``).
BODIES: dict[str, dict[str, Any]] = {
    "account": {"name": "Acme"},
    "contact": {"first_name": "Ada", "last_name": "Lovelace"},
    "opportunity": {"name": "Deal"},
    "activity": {"subject": "Call"},
    "ticket": {"subject": "Broken"},
}
ACTIONS = ("create", "read", "update", "delete")


class Crm:
    """Tenant ``sec`` with one API client per CRM role (two sales reps)."""

    def __init__(self, runtime: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
        create_tenant(runtime, TENANT, "crm", "boss@sec.test", "long enough secret")
        reg = runtime.registry
        self.runtime = runtime
        self.model: AppModel = runtime.app(TENANT).model
        self.admin = Api(client, TENANT, reg.create_token(TENANT, "boss@sec.test"))
        self.apis: dict[str, Api] = {}
        self.user_ids: dict[str, int] = {}
        self.made = 0
        for role in [*self.model.roles, "rep2", "nobody"]:
            email = f"{role}@sec.test"
            user = reg.ensure_user(email, "password123")
            roles = ["sales_rep"] if role == "rep2" else [] if role == "nobody" else [role]
            reg.add_membership(TENANT, user, roles)
            self.user_ids[role] = user
            self.apis[role] = Api(client, TENANT, reg.create_token(TENANT, email))
        self.account = self.make("account")

    def body(self, entity: str) -> dict[str, Any]:
        body = dict(BODIES[entity])
        self.made += 1
        if entity == "account" and self.made > 1:
            body["name"] = f"Acme {self.made}"
        if entity == "opportunity":
            body["account"] = self.account
        return body

    def make(self, entity: str, api: Api | None = None, **extra: Any) -> int:
        response = (api or self.admin).post(entity, json={**self.body(entity), **extra})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    """The runtime on the test's clock: token caches expire when the clock is moved."""
    return clocked_runtime


@pytest.fixture
def crm(runtime: Runtime, client: TestClient) -> Crm:  # type: ignore[type-arg]
    return Crm(runtime, client)


def _expected(crm: Crm, role: str, entity: str, action: str) -> tuple[int, ...]:
    access = crm.model.roles[role].entities.get(entity)
    if access is None or "read" not in access.actions:
        return (403,)
    if action not in access.actions:
        return (403,)
    if action == "create":
        return (201,)
    if action == "read":
        return (200,)
    # The admin owns the record: outside an own-scoped role's reach (existence hidden).
    if access.scope in ("own", "team", "none"):
        return (404,)
    return (200,) if action == "update" else (204,)


def test_permission_matrix_follows_roles_yaml(crm: Crm) -> None:
    checked = 0
    for role in set(crm.model.roles) - {"public"}:  # public: forms only, no members
        api = crm.apis[role]
        for entity in BODIES:  # the first five; the matrix reads roles.yaml the same way
            for action in ACTIONS:
                record = crm.make(entity) if action in ("update", "delete") else 0
                if action == "create":
                    response = api.post(entity, json=crm.body(entity))
                elif action == "read":
                    response = api.get(entity)
                elif action == "update":
                    response = api.patch(f"{entity}/{record}", json={})
                else:
                    response = api.delete(f"{entity}/{record}")
                expected = _expected(crm, role, entity, action)
                assert response.status_code in expected, (role, entity, action, response.text)
                checked += 1
    assert checked == (len(crm.model.roles) - 1) * len(BODIES) * len(ACTIONS)


def test_own_scope_isolates_two_reps(crm: Crm) -> None:
    rep, rep2 = crm.apis["sales_rep"], crm.apis["rep2"]
    mine = crm.make("opportunity", rep, name="Mine")
    theirs = crm.make("opportunity", rep2, name="Theirs")
    crm.make("opportunity", name="Boss's")
    listed = rep.get("opportunity").json()
    assert [item["id"] for item in listed["items"]] == [mine]
    assert listed["count"] == 1
    assert rep.get(f"opportunity?filter=id == {theirs}").json()["count"] == 0
    assert rep.get(f"opportunity/{mine}").status_code == 200
    assert rep.get(f"opportunity/{theirs}").status_code == 404
    assert rep.patch(f"opportunity/{theirs}", json={"name": "x"}).status_code == 404
    assert rep.delete(f"opportunity/{theirs}").status_code == 404
    assert rep.get(f"opportunity/{theirs}/transitions").status_code in (404,)
    assert rep.patch(f"opportunity/{mine}", json={"name": "Mine!"}).status_code == 200
    assert crm.admin.get("opportunity").json()["count"] == 3
    # A rep may not hand a record to someone else.
    given = rep.post("opportunity", json={**crm.body("opportunity"), "owner_id": 1})
    assert given.status_code == 422
    assert "owner_id" in given.json()["errors"]


def test_hidden_fields_never_leave_the_server(crm: Crm) -> None:
    rep = crm.apis["sales_rep"]
    record = rep.get(f"account/{crm.account}").json()
    assert "won_value" not in record and "annual_revenue" not in record
    assert "name" in record
    items = rep.get("account").json()["items"]
    assert items and all("won_value" not in item for item in items)
    for query in ("fields=name,won_value", "sort=-won_value", "filter=won_value > 0"):
        response = rep.get(f"account?{query}")
        assert response.status_code == 400, query
        assert "won_value" in response.text
    assert rep.get("account?fields=name").json()["items"][0] == {
        "id": crm.account,
        "name": "Acme",
    }
    doc = rep.get("openapi.json").json()
    account = doc["components"]["schemas"]["Account"]["properties"]
    assert "won_value" not in account and "name" in account
    assert "Ticket" not in doc["components"]["schemas"]
    assert not any(path.startswith(f"/t/{TENANT}/api/ticket") for path in doc["paths"])
    assert "won_value" in crm.admin.get(f"account/{crm.account}").json()
    assert "Ticket" in crm.admin.get("openapi.json").json()["components"]["schemas"]


def test_read_only_field_write_is_422_naming_it(crm: Crm) -> None:
    rep = crm.apis["sales_rep"]
    mine = crm.make("opportunity", rep)
    response = rep.patch(f"opportunity/{mine}", json={"probability": 50})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["probability"]
    created = rep.post("opportunity", json={**crm.body("opportunity"), "probability": 5})
    assert created.status_code == 422
    # probability is also a formula (stage.probability): nobody writes it, admin included.
    by_admin = crm.admin.patch(f"opportunity/{mine}", json={"probability": 50})
    assert by_admin.status_code == 422
    assert list(by_admin.json()["errors"]) == ["probability"]


def test_entity_not_readable_is_403(crm: Crm) -> None:
    rep = crm.apis["sales_rep"]
    assert rep.get("ticket").status_code == 403
    assert rep.post("ticket", json=BODIES["ticket"]).status_code == 403
    assert rep.get("nosuch").status_code == 404
    marketing = crm.apis["marketing"]
    assert marketing.get("account").status_code == 200
    assert marketing.patch(f"account/{crm.account}", json={"name": "x"}).status_code == 403


def test_user_without_a_role_is_denied_everywhere(crm: Crm) -> None:
    nobody = crm.apis["nobody"]
    for entity in BODIES:
        response = nobody.get(entity)
        assert response.status_code == 403
        assert "no role" in response.text
        assert nobody.post(entity, json=crm.body(entity)).status_code == 403
    doc = nobody.get("openapi.json").json()
    assert doc["paths"] == {}


def test_bulk_needs_import_and_matches_only_records_in_scope(crm: Crm) -> None:
    rep = crm.apis["sales_rep"]
    assert rep.post("opportunity/bulk", json=[crm.body("opportunity")]).status_code == 403
    manager = crm.apis["sales_manager"]
    response = manager.post("account/bulk", json=[{"name": "Bulk"}])
    assert response.status_code == 200
    assert response.json()["created"] == 1


def _cli(crm: Crm, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    config = crm.runtime.config
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    assert main([*args, "--data-dir", str(config.data_dir)]) == 0


def test_cli_role_change_and_token_revoke(
    crm: Crm,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nobody = crm.apis["nobody"]
    assert nobody.get("contact").status_code == 403
    _cli(crm, monkeypatch, "user", "roles", TENANT, "nobody@sec.test", "--add", "marketing")
    assert "has roles: marketing" in capsys.readouterr().out
    clock.advance(TOKEN_CACHE_SECONDS + 0.1)  # the CLI is another process
    assert nobody.get("contact").status_code == 200
    _cli(crm, monkeypatch, "token", "list", TENANT)
    lines = capsys.readouterr().out.splitlines()
    mine = [line for line in lines if "nobody@sec.test" in line]
    assert len(mine) == 1 and "last used 20" in mine[0] and "expires -" in mine[0]
    token_id = mine[0].split()[0]
    _cli(crm, monkeypatch, "user", "roles", TENANT, "nobody@sec.test", "--remove", "marketing")
    _cli(crm, monkeypatch, "token", "revoke", TENANT, token_id)
    assert f"Token {token_id}" in capsys.readouterr().out
    clock.advance(TOKEN_CACHE_SECONDS + 0.1)  # the CLI is another process
    assert nobody.get("contact").status_code == 401
    rep = crm.apis["sales_rep"]
    _cli(crm, monkeypatch, "token", "revoke", TENANT, rep.token)
    clock.advance(TOKEN_CACHE_SECONDS + 0.1)  # the CLI is another process
    assert rep.get("opportunity").status_code == 401
    assert (
        main(["token", "revoke", TENANT, "999999", "--data-dir", str(crm.runtime.config.data_dir)])
        == 1
    )
