"""``GET /_rule_runs`` shows only runs of records in the caller's scope, without hidden fields."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.helpers import Api
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

TENANT = "runs"
FILES = {
    "app.yaml": "name: runs\nversion: 1.0.0\nlabel: Runs\n",
    "entities/deal.yaml": """
        label: Deal
        title: name
        fields:
          name: {type: string, required: true}
          amount: {type: integer}
          priority: {type: enum, options: [low, high]}
          note: {type: text}
    """,
    "entities/task.yaml": """
        label: Task
        fields:
          subject: {type: string, required: true}
          deal: {type: reference, to: deal}
    """,
    "roles.yaml": """
        roles:
          rep:
            entities:
              deal: {actions: [read, create, update], scope: own, fields: {note: hidden}}
          clerk:
            entities:
              task: {actions: [read], scope: all}
    """,
    "rules/deals.rules": """
        rule "Big"
          on deal created
          when amount >= 100
          then set priority = "high"; set note = "secret"
        end
        rule "Follow"
          on deal created
          when amount >= 100
          then create task {subject: name, deal: id}
        end
    """,
}


@pytest.fixture
def apis(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> dict[str, Api]:
    root = tmp_path / "runs"
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    out: dict[str, Api] = {}
    for role in ("admin", "rep", "clerk"):
        email = f"{role}@{TENANT}.test"
        user = runtime.registry.ensure_user(email, "correct horse battery")
        runtime.registry.add_membership(TENANT, user, [role])
        out[role] = Api(client, TENANT, runtime.registry.create_token(TENANT, email))
    return out


def test_runs_are_limited_to_the_callers_scope_and_fields(apis: dict[str, Api]) -> None:
    admin, rep, clerk = apis["admin"], apis["rep"], apis["clerk"]
    mine = rep.post("deal", json={"name": "Mine", "amount": 500})
    assert mine.status_code == 201, mine.text
    assert "note" not in mine.json()
    theirs = admin.post("deal", json={"name": "Theirs", "amount": 900}).json()

    everything = admin.get("_rule_runs").json()["items"]
    assert len(everything) == 4
    big = next(r for r in everything if r["rule"] == "Big" and r["record_id"] == theirs["id"])
    assert big["changes"] == {"priority": "high", "note": "secret"}

    seen = rep.get("_rule_runs").json()["items"]
    assert {r["record_id"] for r in seen} == {mine.json()["id"]}
    by_rule = {r["rule"]: r["changes"] for r in seen}
    assert by_rule == {"Big": {"priority": "high"}, "Follow": {}}  # no note, no task id

    assert rep.get(f"_rule_runs?entity=deal&id={theirs['id']}").json()["items"] == []
    assert rep.get("_rule_runs?entity=task").status_code == 403
    assert clerk.get("_rule_runs").json()["items"] == []  # no deal is readable
