"""Rules give records their owner with ``set owner_id = …``, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import Api, PackageWriter, make_tenant
from trellis.platform.runtime import Runtime

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
