"""The audit log (``GET _audit``) and "why can this user see this record?" (``GET _access``)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant, main
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.access_admin import revoke_token
from trellis.tenants.registry.audit import AuditLog

from helpers import Api, PackageWriter

TENANT = "aud"
REPO = Path(__file__).resolve().parents[2]


class Crm:
    """Tenant ``aud`` from the CRM seed with an admin, two sales reps and a read-only user."""

    def __init__(self, runtime: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
        create_tenant(runtime, TENANT, "crm", "boss@aud.test", "long enough secret")
        reg = runtime.registry
        self.runtime = runtime
        self.client = client
        self.admin = Api(client, TENANT, reg.create_token(TENANT, "boss@aud.test"))
        self.apis: dict[str, Api] = {}
        for name, roles in {
            "rep": ["sales_rep"],
            "rep2": ["sales_rep"],
            "ro": ["read_only"],
        }.items():
            email = f"{name}@aud.test"
            reg.add_membership(TENANT, reg.ensure_user(email, "password123"), roles)
            self.apis[name] = Api(client, TENANT, reg.create_token(TENANT, email))
        response = self.admin.post("account", json={"name": "Acme"})
        assert response.status_code == 201, response.text
        self.account = int(response.json()["id"])

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        response = self.admin.get("_audit", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def cli(self, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
        config = self.runtime.config
        if config.database_url:
            monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
            monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
        assert main([*args, "--data-dir", str(config.data_dir)]) == 0


@pytest.fixture
def crm(runtime: Runtime, client: TestClient) -> Crm:  # type: ignore[type-arg]
    return Crm(runtime, client)


# audit log -------------------------------------------------------------------------------
def test_audit_records_setup_publish_tokens_and_members(crm: Crm) -> None:
    items = crm.audit(limit="500")
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)  # newest first
    actions = [i["action"] for i in items]
    publishes = [i for i in items if i["action"] == "metadata.publish"]
    assert len(publishes) == 1
    assert publishes[0]["actor"] == "boss@aud.test"
    assert publishes[0]["detail"]["version"] == 1
    assert publishes[0]["target"] == "version:1"
    assert "Plan for" not in publishes[0]["detail"]["plan"]  # the plan itself, not the header
    assert publishes[0]["detail"]["plan"]
    members = {i["target"]: i for i in items if i["action"] == "member.add"}
    assert members["user:rep@aud.test"]["detail"] == {"roles": ["sales_rep"]}
    assert members["user:boss@aud.test"]["detail"] == {"roles": ["admin"]}
    creates = [i for i in items if i["action"] == "token.create"]
    assert len(creates) == 4
    assert {c["detail"]["user"] for c in creates} == {
        "boss@aud.test",
        "rep@aud.test",
        "rep2@aud.test",
        "ro@aud.test",
    }
    assert all(c["actor"] == "cli" for c in creates)
    # The admin's token was used (to create the account and to read the log): once a minute.
    uses = [i for i in items if i["action"] == "token.use"]
    assert len(uses) == 1
    assert uses[0]["actor"] == "boss@aud.test" and uses[0]["ip"] == "testclient"
    assert actions.count("token.use") == 1
    crm.admin.get("account")
    assert len(crm.audit(action="token.use")) == 1  # throttled like last_used_at


def test_audit_failed_authentications_with_reason_and_ip(crm: Crm) -> None:
    reg = crm.runtime.registry
    expired = reg.create_token(TENANT, "rep@aud.test", expires_in=timedelta(microseconds=1))
    revoked = reg.create_token(TENANT, "rep2@aud.test")
    revoke_token(reg, TENANT, revoked)
    for token in ("trl_not_a_real_token", expired, revoked):
        assert Api(crm.client, TENANT, token).get("account").status_code == 401
    response = crm.client.get(f"/t/{TENANT}/api/account", headers={"Authorization": "Basic x"})
    assert response.status_code == 401
    failures = crm.audit(action="auth.failure")
    reasons = [f["detail"]["reason"] for f in failures]
    assert reasons == ["malformed", "revoked", "expired", "unknown"]
    assert all(f["ip"] == "testclient" and f["actor"] == "anonymous" for f in failures)
    assert failures[2]["detail"]["prefix"] == expired[:12]
    revokes = crm.audit(action="token.revoke")
    assert len(revokes) == 1 and revokes[0]["actor"] == "cli"


def test_audit_token_of_another_tenant_is_logged_in_the_url_tenant(
    crm: Crm, runtime: Runtime
) -> None:
    create_tenant(runtime, "other", "crm", "boss@other.test", "long enough secret")
    foreign = runtime.registry.create_token("other", "boss@other.test")
    assert Api(crm.client, TENANT, foreign).get("account").status_code == 401
    failures = crm.audit(action="auth.failure")
    assert [f["detail"]["reason"] for f in failures] == ["other tenant"]
    other = Api(crm.client, "other", foreign)
    other_items = other.get("_audit").json()["items"]
    assert all(i["action"] != "auth.failure" for i in other_items)
    assert not [i for i in other_items if "aud.test" in str(i)]


def test_audit_cli_role_changes_user_create_and_publish(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm.cli(monkeypatch, "user", "roles", TENANT, "ro@aud.test", "--add", "marketing")
    crm.cli(monkeypatch, "user", "roles", TENANT, "ro@aud.test", "--remove", "read_only")
    crm.cli(monkeypatch, "user", "roles", TENANT, "ro@aud.test", "--remove", "read_only")
    changes = crm.audit(action="roles.change")
    assert [c["detail"] for c in changes] == [
        {"before": ["marketing", "read_only"], "after": ["marketing"]},
        {"before": ["read_only"], "after": ["marketing", "read_only"]},
    ]  # the no-op removal is not logged
    assert all(c["actor"] == "cli" and c["target"] == "user:ro@aud.test" for c in changes)
    crm.cli(
        monkeypatch,
        "user",
        "create",
        TENANT,
        "new@aud.test",
        "--password",
        "a long password",
        "--role",
        "marketing",
    )
    added = crm.audit(action="member.add")[0]
    assert added["target"] == "user:new@aud.test" and added["detail"] == {"roles": ["marketing"]}
    assert added["actor"] == "cli"
    crm.cli(monkeypatch, "publish", TENANT, str(REPO / "seed" / "crm"))
    publishes = crm.audit(action="metadata.publish")
    assert len(publishes) <= 2  # unchanged packages are not republished
    if len(publishes) == 2:
        assert publishes[0]["actor"] == "cli" and publishes[0]["detail"]["version"] == 2


def test_audit_cli_publish_of_a_new_version(
    runtime: Runtime, client: TestClient, write_package: PackageWriter
) -> None:  # type: ignore[type-arg]
    runtime.registry.create_tenant("pub")
    publish(runtime, "pub", write_package({"thing": "fields:\n  name: {type: string}\n"}))
    user = runtime.registry.ensure_user("admin@pub.test", "correct horse battery")
    runtime.registry.add_membership("pub", user, ["admin"])
    api = Api(client, "pub", runtime.registry.create_token("pub", "admin@pub.test"))
    second = write_package(
        {"thing": "fields:\n  name: {type: string}\n  size: {type: integer}\n"}, version="1.1.0"
    )
    publish(runtime, "pub", second, published_by="cli")
    items = api.get("_audit", params={"action": "metadata.publish"}).json()["items"]
    assert [i["detail"]["version"] for i in items] == [2, 1]
    assert items[0]["actor"] == "cli"
    assert items[0]["detail"]["app"] == "testapp 1.1.0"
    assert "size" in items[0]["detail"]["plan"]


def test_audit_pagination_and_filters(crm: Crm) -> None:
    everything = crm.audit(limit="500")
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        body = crm.admin.get("_audit", params=params).json()
        seen.extend(i["id"] for i in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["id"] for i in everything] or seen[1:] == [i["id"] for i in everything]
    assert crm.admin.get("_audit", params={"limit": "0"}).status_code == 400
    assert crm.admin.get("_audit", params={"limit": "501"}).status_code == 400
    assert crm.admin.get("_audit", params={"cursor": "abc"}).status_code == 400
    assert crm.audit(action="no.such.action") == []


def test_audit_is_for_admins_only(crm: Crm) -> None:
    assert crm.apis["rep"].get("_audit").status_code == 403
    assert crm.apis["ro"].get("_audit").status_code == 403
    assert crm.client.get(f"/t/{TENANT}/api/_audit").status_code == 401


#: Files that may name the table: its definition, the repository, and where it is built.
ALLOWED_TO_NAME_THE_TABLE = ("tables.py", "audit.py", "service.py")


def test_audit_log_is_append_only_in_the_sources() -> None:
    """Only AuditLog (insert + select) touches the table; nothing updates or deletes rows."""
    public = {n for n in vars(AuditLog) if not n.startswith("_")}
    assert public == {"record", "entries", "backup_query", "restore"}  # restore: an INSERT
    audit_module = (REPO / "tenants" / "registry" / "audit.py").read_text(encoding="utf-8")
    assert ".insert()" in audit_module
    assert not re.search(r"\.(update|delete)\(", audit_module)
    offenders = []
    for folder in ("platform", "tenants", "trellis", "rules", "metadata", "seed"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            table_named = "audit_log" in text and path.name not in ALLOWED_TO_NAME_THE_TABLE
            if table_named or re.search(r"audit\w*\.(update|delete)\(", text):
                offenders.append(str(path))
    assert offenders == []


# why can this user see this record? ------------------------------------------------------
def _explain(crm: Crm, **params: Any) -> dict[str, Any]:
    response = crm.admin.get("_access", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_access_explains_own_scope(crm: Crm) -> None:
    rep, rep2 = crm.apis["rep"], crm.apis["rep2"]
    created = rep.post("opportunity", json={"name": "Mine", "account": crm.account})
    assert created.status_code == 201, created.text
    mine = int(created.json()["id"])
    body = _explain(crm, user="rep@aud.test", entity="opportunity", id=str(mine), action="update")
    assert body["allowed"] is True and body["roles"] == ["sales_rep"]
    [reason] = body["reasons"]
    assert reason["role"] == "sales_rep" and reason["scope"] == "own"
    assert reason["action_granted"] is True and reason["record_in_scope"] is True
    assert reason["where"] is None and reason["read_only_fields"] == ["probability"]
    # The other rep: same role, record out of scope -> denied, and the API agrees (404).
    other = _explain(crm, user="rep2@aud.test", entity="opportunity", id=str(mine), action="read")
    assert other["allowed"] is False and other["reasons"][0]["record_in_scope"] is False
    assert "outside" in other["summary"]
    assert rep2.get(f"opportunity/{mine}").status_code == 404
    assert rep.get(f"opportunity/{mine}").status_code == 200


def test_access_explains_missing_action_and_hidden_fields(crm: Crm) -> None:
    body = _explain(crm, user="rep@aud.test", entity="account", id=str(crm.account), action="read")
    assert body["allowed"] is True
    assert body["reasons"][0]["hidden_fields"] == ["annual_revenue", "won_value"]
    body = _explain(
        crm, user="rep@aud.test", entity="account", id=str(crm.account), action="delete"
    )
    assert body["allowed"] is False and body["reasons"][0]["action_granted"] is False
    assert body["reasons"][0]["record_in_scope"] is True
    assert crm.apis["rep"].delete(f"account/{crm.account}").status_code == 403
    body = _explain(crm, user="rep@aud.test", entity="ticket", id=str(crm.account), action="read")
    assert body["allowed"] is False and body["summary"] == "no role grants read on ticket"
    assert body["reasons"] == [
        {
            "role": "sales_rep",
            "action_granted": False,
            "read_granted": False,
            "scope": None,
            "where": None,
            "record_in_scope": False,
            "hidden_fields": [],
            "read_only_fields": [],
        }
    ]
    create = _explain(crm, user="ro@aud.test", entity="account", action="create")
    assert create["allowed"] is False and create["id"] is None
    admin = _explain(crm, user="boss@aud.test", entity="account", action="create")
    assert admin["allowed"] is True and admin["reasons"][0]["scope"] == "all"


def test_access_missing_record_user_without_roles_and_bad_input(crm: Crm) -> None:
    body = _explain(crm, user="boss@aud.test", entity="account", id="999999", action="read")
    assert body["allowed"] is False and body["record_exists"] is False
    reg = crm.runtime.registry
    reg.add_membership(TENANT, reg.ensure_user("none@aud.test"), [])
    body = _explain(crm, user="none@aud.test", entity="account", id=str(crm.account))
    assert body["allowed"] is False and body["roles"] == [] and body["reasons"] == []
    assert (
        crm.admin.get(
            "_access", params={"user": "ghost@aud.test", "entity": "account", "id": "1"}
        ).status_code
        == 404
    )
    assert (
        crm.admin.get(
            "_access", params={"user": "rep@aud.test", "entity": "nope", "id": "1"}
        ).status_code
        == 404
    )
    bad_action = {"user": "rep@aud.test", "entity": "account", "id": "1", "action": "fly"}
    assert crm.admin.get("_access", params=bad_action).status_code == 400
    no_id = {"user": "rep@aud.test", "entity": "account", "action": "read"}
    assert crm.admin.get("_access", params=no_id).status_code == 400
    assert crm.apis["rep"].get("_access", params=no_id).status_code == 403


ROLES = """
roles:
  emea:
    label: EMEA
    entities:
      deal:
        actions: [read, update]
        scope: all
        where: 'region == "EMEA"'
        fields: {secret: hidden}
"""


def test_access_explains_where_condition(
    runtime: Runtime, client: TestClient, write_package: PackageWriter
) -> None:  # type: ignore[type-arg]
    package = write_package(
        {
            "deal": """
                fields:
                  name: {type: string}
                  region: {type: string}
                  secret: {type: string}
            """
        }
    )
    (package / "roles.yaml").write_text(ROLES, encoding="utf-8")
    reg = runtime.registry
    reg.create_tenant("geo")
    publish(runtime, "geo", package)
    reg.add_membership("geo", reg.ensure_user("admin@geo.test"), ["admin"])
    reg.add_membership("geo", reg.ensure_user("eu@geo.test"), ["emea"])
    admin = Api(client, "geo", reg.create_token("geo", "admin@geo.test"))
    eu = Api(client, "geo", reg.create_token("geo", "eu@geo.test"))
    inside = admin.post("deal", json={"name": "A", "region": "EMEA"}).json()["id"]
    outside = admin.post("deal", json={"name": "B", "region": "APAC"}).json()["id"]
    for record, expected, status in ((inside, True, 200), (outside, False, 404)):
        body = admin.get(
            "_access", params={"user": "eu@geo.test", "entity": "deal", "id": str(record)}
        ).json()
        assert body["allowed"] is expected
        [reason] = body["reasons"]
        assert reason["where"] == 'region == "EMEA"' and reason["scope"] == "all"
        assert reason["record_in_scope"] is expected and reason["hidden_fields"] == ["secret"]
        assert eu.get(f"deal/{record}").status_code == status
