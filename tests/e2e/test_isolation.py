"""Tenant isolation: nothing of tenant B is reachable with tenant A's token, ids or filters."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime

from helpers import ACCOUNT, CONTACT, Api, PackageWriter, make_tenant

SECRET_PROJECT = """
    label: Secret project
    fields:
      codename: {type: string}
"""


class Pair:
    """Tenant A (``acme``) with one account, tenant B (``globex``) with more of everything.

    Ids overlap by construction: B's accounts 2 and 3 exist only in B.
    """

    def __init__(
        self,
        runtime: Runtime,
        client: TestClient,  # type: ignore[type-arg]
        write_package: PackageWriter,
    ) -> None:
        self.a = Api(client, "acme", make_tenant(runtime, write_package, "acme"))
        b_entities = {"account": ACCOUNT, "contact": CONTACT, "secret_project": SECRET_PROJECT}
        self.b = Api(client, "globex", make_tenant(runtime, write_package, "globex", b_entities))
        self.client = client
        self.b_accounts = [
            self.made(
                self.b,
                "account",
                {"name": n, "email": f"{n.lower().replace(' ', '.')}@globex.test"},
            )
            for n in ("Globex", "Globex secret", "Globex hidden")
        ]
        self.b_contact = self.made(
            self.b, "contact", {"last_name": "Spy", "account": self.b_accounts[2]}
        )
        self.made(self.b, "secret_project", {"codename": "Nightingale"})
        self.a_account = self.made(self.a, "account", {"name": "Acme", "email": "a@acme.test"})
        self.a_contact = self.made(
            self.a, "contact", {"last_name": "Friend", "account": self.a_account}
        )

    @staticmethod
    def made(api: Api, entity: str, body: dict[str, Any]) -> int:
        response = api.post(entity, json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def b_state(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.b.get("account", params={"sort": "id"}).json()["items"]
        return items


@pytest.fixture
def pair(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Pair:  # type: ignore[type-arg]
    return Pair(runtime, client, write_package)


def test_a_token_on_b_urls_is_refused_everywhere(pair: Pair) -> None:
    cross = Api(pair.client, "globex", pair.a.token)
    b_id = pair.b_accounts[1]
    requests = [
        cross.get("account"),
        cross.get("account", params={"filter": 'name == "Globex secret"'}),
        cross.get(f"account/{b_id}"),
        cross.get(f"account/{b_id}/_form"),
        cross.get("secret_project"),
        cross.get("openapi.json"),
        cross.get("_audit"),
        cross.get("_access", params={"user": "admin@globex.test", "entity": "account", "id": "1"}),
        cross.get("_rule_runs"),
        cross.post("account", json={"name": "Planted"}),
        cross.post("account/bulk", json=[{"name": "Planted"}]),
        cross.patch(f"account/{b_id}", json={"name": "Hacked"}),
        cross.delete(f"account/{b_id}"),
        cross.post("_check", json={"entity": "account", "source": "name"}),
    ]
    assert [r.status_code for r in requests] == [401] * len(requests)
    for response in requests:
        assert "Globex" not in response.text
    assert [a["name"] for a in pair.b_state()] == ["Globex", "Globex secret", "Globex hidden"]


def test_guessing_ids_that_exist_only_in_b(pair: Pair) -> None:
    before = pair.b_state()
    for b_id in pair.b_accounts[1:]:
        assert pair.a.get(f"account/{b_id}").status_code == 404
        assert pair.a.get(f"account/{b_id}/_form").status_code == 404
        assert pair.a.patch(f"account/{b_id}", json={"name": "Hacked"}).status_code == 404
        assert pair.a.delete(f"account/{b_id}").status_code == 404
        dry = pair.a.patch(f"account/{b_id}", params={"dry_run": "true"}, json={"name": "x"})
        assert dry.status_code == 404
    assert pair.a.get(f"contact/{pair.b_contact + 5}").status_code == 404
    assert pair.b_state() == before


def test_list_count_and_filters_by_reference_stay_in_a(pair: Pair) -> None:
    listed = pair.a.get("account").json()
    assert [i["name"] for i in listed["items"]] == ["Acme"] and listed["count"] == 1
    b_account = pair.b_accounts[2]
    for flt in (
        f"account == {b_account}",
        'account.name == "Globex hidden"',
        'last_name == "Spy"',
        f"account == {pair.b_accounts[1]} or account == {b_account}",
    ):
        body = pair.a.get("contact", params={"filter": flt}).json()
        assert body["items"] == [] and body["count"] == 0, flt
    for flt in ('name contains "Globex"', 'email == "globex.secret@globex.test"', "id > 1"):
        body = pair.a.get("account", params={"filter": flt}).json()
        assert body["items"] == [] and body["count"] == 0, flt
    contacts = pair.a.get("contact").json()["items"]
    assert [(c["last_name"], c["account"]) for c in contacts] == [("Friend", pair.a_account)]
    assert pair.a.get("secret_project").status_code == 404


def test_references_to_b_records_are_refused(pair: Pair) -> None:
    response = pair.a.post("contact", json={"last_name": "X", "account": pair.b_accounts[2]})
    assert response.status_code == 422
    assert "account" in response.json()["errors"]
    patched = pair.a.patch(f"contact/{pair.a_contact}", json={"account": pair.b_accounts[2]})
    assert patched.status_code == 422
    assert pair.a.get(f"contact/{pair.a_contact}").json()["account"] == pair.a_account


def test_bulk_upsert_never_touches_b(pair: Pair) -> None:
    before = pair.b_state()
    body = {
        "upsert_key": "email",
        "items": [
            {"name": "Taken over", "email": "globex.secret@globex.test"},
            {"name": "Acme renamed", "email": "a@acme.test"},
        ],
    }
    response = pair.a.post("account/bulk", json=body)
    assert response.status_code == 200, response.text
    assert pair.b_state() == before
    names = sorted(i["name"] for i in pair.a.get("account").json()["items"])
    assert names == ["Acme renamed", "Taken over"]
    contacts = pair.a.post(
        "contact/bulk", json=[{"last_name": "Planted", "account": pair.b_accounts[2]}]
    )
    assert contacts.status_code in (200, 422)
    assert pair.a.get("contact", params={"filter": 'last_name == "Planted"'}).json()["count"] == 0
    assert pair.b.get("contact").json()["count"] == 1


def test_openapi_of_a_knows_nothing_of_b(pair: Pair) -> None:
    doc = pair.a.get("openapi.json")
    assert doc.status_code == 200
    text = doc.text
    assert "secret_project" not in text and "SecretProject" not in text
    assert "/t/globex" not in text and "globex" not in text.lower()
    b_doc = pair.b.get("openapi.json").text
    assert "secret_project" in b_doc


def test_admin_endpoints_are_per_tenant(pair: Pair) -> None:
    who = {"user": "admin@globex.test", "entity": "account", "id": str(pair.b_accounts[0])}
    assert pair.a.get("_access", params=who).status_code == 404
    items = pair.a.get("_audit", params={"limit": "500"}).json()["items"]
    assert items and not [i for i in items if "globex" in str(i).lower()]
    runs = pair.a.get("_rule_runs").json()
    assert "globex" not in str(runs).lower()
