"""Rules give records their owner with ``set owner_id = …``, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import Api, PackageWriter, make_tenant
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.member_status import set_member_active

DEAL = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true}
      rep: {type: user}
"""
TASK = """
    label: Task
    title: subject
    fields:
      subject: {type: string, required: true}
      deal: {type: reference, to: deal}
"""
RULES = """
rule "The rep owns the deal"
  on deal created, updated
  when changed(rep) and rep is not empty
  then set owner_id = rep
end

rule "A task belongs to the deal's owner"
  on task created
  when deal is not empty
  then set owner_id = deal.owner_id
end

rule "Handing over a deal"
  on task created
  when subject == "hand over"
  then update deal {owner_id: current_user()}
end
"""


@pytest.fixture
def owned(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    write_package: PackageWriter,
) -> Api:
    def write(entities: dict[str, str], **kw: Any) -> Path:
        root = write_package(entities, **kw)
        (root / "rules").mkdir(exist_ok=True)
        (root / "rules" / "owners.rules").write_text(RULES, encoding="utf-8")
        return root

    token = make_tenant(runtime, write, "owners", {"deal": DEAL, "task": TASK})
    return Api(client, "owners", token)


def _rep(runtime: Runtime, email: str) -> int:
    user = runtime.registry.ensure_user(email, "correct horse battery")
    runtime.registry.add_membership("owners", user, ["admin"])
    return user


def test_set_owner_id_gives_the_record_to_the_user(owned: Api, runtime: Runtime) -> None:
    ann, bob = _rep(runtime, "ann@owners.test"), _rep(runtime, "bob@owners.test")
    deal = owned.post("deal", json={"name": "Acme", "rep": ann})
    assert deal.status_code == 201, deal.text
    assert deal.json()["owner_id"] == ann
    moved = owned.patch(f"deal/{deal.json()['id']}", json={"rep": bob})
    assert moved.json()["owner_id"] == bob
    runs = owned.get(f"_rule_runs?entity=deal&id={deal.json()['id']}").json()["items"]
    assert runs[0]["changes"] == {"owner_id": bob}


def test_set_owner_id_reads_through_a_reference(owned: Api, runtime: Runtime) -> None:
    ann = _rep(runtime, "ann@owners.test")
    deal = owned.post("deal", json={"name": "Acme", "rep": ann}).json()
    task = owned.post("task", json={"subject": "Call", "deal": deal["id"]})
    assert task.json()["owner_id"] == ann
    alone = owned.post("task", json={"subject": "Alone"}).json()
    assert alone["owner_id"] != ann  # no deal: the creator keeps it


def test_update_action_sets_the_owner_of_another_record(owned: Api, runtime: Runtime) -> None:
    ann = _rep(runtime, "ann@owners.test")
    deal = owned.post("deal", json={"name": "Acme", "rep": ann}).json()
    admin = owned.get("deal").json()["items"][0]["created_by"]
    owned.post("task", json={"subject": "hand over", "deal": deal["id"]})
    assert owned.get(f"deal/{deal['id']}").json()["owner_id"] == admin


def test_a_rule_may_not_give_a_record_to_a_non_member(owned: Api, runtime: Runtime) -> None:
    ann = _rep(runtime, "ann@owners.test")
    deal = owned.post("deal", json={"name": "Acme", "rep": ann}).json()
    assert deal["owner_id"] == ann
    set_member_active(runtime.registry, "owners", ann, False, actor="test")
    # The rule gives the task to the deal's owner, who has left the tenant: refused.
    refused = owned.post("task", json={"subject": "Call", "deal": deal["id"]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == {"owner_id": [f"User {ann} is not a member of this tenant."]}
    assert owned.get("task").json()["items"] == []  # nothing saved
    # Back in the tenant, the same save goes through.
    set_member_active(runtime.registry, "owners", ann, True, actor="test")
    task = owned.post("task", json={"subject": "Call", "deal": deal["id"]})
    assert task.status_code == 201 and task.json()["owner_id"] == ann, task.text


def test_an_owner_outside_the_tenant_is_refused(owned: Api, runtime: Runtime) -> None:
    outsider = runtime.registry.ensure_user("eve@elsewhere.test", "correct horse battery")
    for rep in (outsider, 987654):  # a user of another tenant, no user at all
        refused = owned.post("deal", json={"name": "Acme", "rep": rep})
        assert refused.status_code == 422, refused.text
        # The rule makes the rep the owner: the owner is refused.
        assert refused.json()["errors"] == {
            "owner_id": [f"User {rep} is not a member of this tenant."]
        }
    refused = owned.post("deal", json={"name": "Acme", "owner_id": outsider})
    assert refused.json()["errors"] == {
        "owner_id": [f"User {outsider} is not a member of this tenant."]
    }
    assert owned.get("deal").json()["items"] == []
