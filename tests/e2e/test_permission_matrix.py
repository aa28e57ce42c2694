"""A permission matrix generated from the CRM seed's roles.yaml, checked through the API.

For every role (one test each) x entity x action (create, read, update, delete,
export) the answer must follow the role's definition, and lists, reads and exports
must show exactly the records its scope reaches: ``own`` the caller's, ``team`` the
caller's, a teammate's and a report's, ``all`` every one, ``none`` nothing. Hidden
fields never appear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from litestar.testing import TestClient

from trellis.cli import create_tenant
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.members import update_member

from helpers import Api

ROLES_FILE = Path(__file__).resolve().parents[2] / "seed" / "crm" / "roles.yaml"
ROLES: dict[str, Any] = yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8"))["roles"]
TENANT = "matrix"
BODIES: dict[str, dict[str, Any]] = {
    "account": {"name": "Acme"},
    "contact": {"first_name": "Ada", "last_name": "Lovelace"},
    "opportunity": {"name": "Deal"},
    "activity": {"subject": "Call"},
    "ticket": {"subject": "Broken"},
}
#: Owners of the records made for each entity, and whether each is in the caller's team.
OWNERS = ("me", "mate", "report", "stranger")
IN_TEAM = {"me": True, "mate": True, "report": True, "stranger": False}


class Matrix:
    """Tenant ``matrix``: four members with one role; ``mate`` shares ``me``'s team and
    ``report`` reports to ``me``. The admin makes one record per entity for each."""

    def __init__(self, runtime: Runtime, client: TestClient, role: str) -> None:  # type: ignore[type-arg]
        create_tenant(runtime, TENANT, "crm", "boss@matrix.test", "long enough secret")
        reg = runtime.registry
        self.admin = Api(client, TENANT, reg.create_token(TENANT, "boss@matrix.test"))
        self.ids: dict[str, int] = {}
        for name in OWNERS:
            email = f"{name}@matrix.test"
            self.ids[name] = reg.ensure_user(email, "long enough secret")
            reg.add_membership(TENANT, self.ids[name], [role])
        self.me = Api(client, TENANT, reg.create_token(TENANT, "me@matrix.test"))
        update_member(reg, TENANT, "me@matrix.test", teams=["north"])
        update_member(reg, TENANT, "mate@matrix.test", teams=["north"])
        update_member(reg, TENANT, "report@matrix.test", manager="me@matrix.test")
        self.account = self._make("account", "stranger", name="Base account")
        self.made = 0

    def body(self, entity: str) -> dict[str, Any]:
        self.made += 1
        body = dict(BODIES[entity])
        if entity == "account":
            body["name"] = f"Account {self.made}"
        if entity == "opportunity":
            body["account"] = self.account
        return body

    def _make(self, entity: str, owner: str, **body: Any) -> int:
        payload = {**(body or self.body(entity)), "owner_id": self.ids[owner]}
        response = self.admin.post(entity, json=payload)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def records(self, entity: str) -> dict[str, int]:
        """One record of ``entity`` per owner, made by the admin."""
        return {owner: self._make(entity, owner) for owner in OWNERS}


def _reached(scope: str) -> set[str]:
    if scope == "all":
        return set(OWNERS)
    if scope == "team":
        return {o for o in OWNERS if IN_TEAM[o]}
    if scope == "own":
        return {"me"}
    return set()


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"public"}))  # public: no members
def test_role_matrix(runtime: Runtime, client: TestClient, role: str) -> None:  # type: ignore[type-arg]
    matrix = Matrix(runtime, client, role)
    me = matrix.me
    checked = 0
    for entity in BODIES:
        spec = ROLES[role]["entities"].get(entity) or {}
        actions = set(spec.get("actions", ()))
        scope = spec.get("scope", "all") if spec else "none"
        hidden = {f for f, level in (spec.get("fields") or {}).items() if level == "hidden"}
        assert not spec.get("where"), "conditions are covered in test_teams_conditions"
        records = matrix.records(entity)
        ids = {owner: records[owner] for owner in OWNERS}
        visible = {ids[o] for o in _reached(scope)}
        readable = "read" in actions
        where = (role, entity)

        listed = me.get(entity, params={"limit": "500"})
        if not readable:
            assert listed.status_code == 403, where
        else:
            assert listed.status_code == 200, where
            items = listed.json()["items"]
            assert {i["id"] for i in items} & set(ids.values()) == visible, where
            assert all(not (hidden & set(i)) for i in items), where

        exported = me.get(f"{entity}/_export", params={"format": "json"})
        if readable and "export" in actions:
            assert exported.status_code == 200, where
            rows = exported.json()
            assert {r["id"] for r in rows} & set(ids.values()) == visible, where
            assert all(not (hidden & set(r)) for r in rows), where
        else:
            assert exported.status_code == 403, where

        for owner, record in ids.items():
            read = me.get(f"{entity}/{record}")
            expected = 403 if not readable else 200 if record in visible else 404
            assert read.status_code == expected, (*where, "read", owner)
            if expected == 200:
                assert not hidden & set(read.json()), where
            update = me.patch(f"{entity}/{record}", json={})
            expected = (
                403
                if not readable or "update" not in actions
                else 200
                if record in visible
                else 404
            )
            assert update.status_code == expected, (*where, "update", owner, update.text)
            checked += 3

        created = me.post(entity, json=matrix.body(entity))
        expected_create = 201 if readable and "create" in actions else 403
        assert created.status_code == expected_create, (*where, "create", created.text)

        for owner, record in ids.items():
            deleted = me.delete(f"{entity}/{record}")
            expected = (
                403
                if not readable or "delete" not in actions
                else 204
                if record in visible
                else 404
            )
            assert deleted.status_code == expected, (*where, "delete", owner)
        checked += 7
    assert checked == len(BODIES) * (len(OWNERS) * 3 + 7)


def test_seed_ships_the_roles_the_tests_use() -> None:
    assert {
        "sales_manager",
        "sales_rep",
        "sales_lead",
        "support_agent",
        "marketing",
        "read_only",
    } <= set(ROLES)
    assert ROLES["sales_rep"]["entities"]["opportunity"]["scope"] == "own"
    assert ROLES["sales_lead"]["entities"]["opportunity"]["scope"] == "team"
    assert "admin" not in ROLES  # built in
