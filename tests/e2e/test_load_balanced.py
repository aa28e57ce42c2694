"""``assign owner load_balanced("role")``: fewest open records first, ties by user id."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.helpers import Api
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

TENANT = "balance"
FILES = {
    "app.yaml": "name: balance\nversion: 1.0.0\nlabel: Balance\n",
    "pipelines/deal.yaml": """
        pipeline: deal
        label: Deals
        stages:
          - {name: open, label: Open, probability: 10}
          - {name: won, label: Won, probability: 100, won: true}
          - {name: lost, label: Lost, probability: 0, lost: true}
    """,
    "entities/deal.yaml": """
        label: Deal
        title: name
        fields:
          name: {type: string, required: true}
          stage: {type: pipeline, pipeline: deal}
          helper: {type: user}
    """,
    "rules/balance.rules": """
        rule "Balance"
          on deal created
          when name starts_with "lb"
          then assign owner load_balanced("sales_rep")
        end
        rule "Help"
          on deal created
          when name starts_with "help"
          then assign helper load_balanced("sales_rep")
        end
    """,
}


@pytest.fixture
def bapi(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> Api:
    root = tmp_path / "balance"
    for relative, text in FILES.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, root)
    admin = runtime.registry.ensure_user(f"admin@{TENANT}.test", "correct horse battery")
    runtime.registry.add_membership(TENANT, admin, ["admin"])
    return Api(client, TENANT, runtime.registry.create_token(TENANT, f"admin@{TENANT}.test"))


def _reps(runtime: Runtime) -> list[int]:
    users = []
    for name in ("ann", "bob", "cat"):
        user = runtime.registry.ensure_user(f"{name}@{TENANT}.test", "correct horse battery")
        runtime.registry.add_membership(TENANT, user, ["sales_rep"])
        users.append(user)
    assert users == sorted(users)
    return users


def test_fewest_open_records_first_then_lowest_id(bapi: Api, runtime: Runtime) -> None:
    ann, bob, cat = _reps(runtime)
    # Open loads: ann 1 (her won deal is closed), bob 1, cat 0 (his deleted deal is gone).
    for name, owner, stage in [("a1", ann, "open"), ("a2", ann, "won"), ("b1", bob, "lost")]:
        res = bapi.post("deal", json={"name": name, "owner_id": owner, "stage": stage})
        assert res.status_code == 201, res.text
    assert bapi.post("deal", json={"name": "b2", "owner_id": bob}).status_code == 201
    gone = bapi.post("deal", json={"name": "c1", "owner_id": cat}).json()
    assert bapi.delete(f"deal/{gone['id']}").status_code == 204
    owners = [bapi.post("deal", json={"name": f"lb{i}"}).json()["owner_id"] for i in range(5)]
    assert owners == [cat, ann, bob, cat, ann]
    runs = bapi.get("_rule_runs?entity=deal").json()["items"]
    assert [r["changes"]["owner_id"] for r in reversed(runs)] == owners


def test_balancing_a_user_field_counts_that_field(bapi: Api, runtime: Runtime) -> None:
    ann, bob, cat = _reps(runtime)
    bapi.post("deal", json={"name": "x", "helper": ann})
    bapi.post("deal", json={"name": "y", "helper": cat, "owner_id": ann})
    helpers = [bapi.post("deal", json={"name": f"help{i}"}).json()["helper"] for i in range(3)]
    assert helpers == [bob, ann, bob]


def test_nobody_with_the_role_keeps_the_owner(bapi: Api, runtime: Runtime) -> None:
    deal = bapi.post("deal", json={"name": "lb lonely"}).json()
    assert deal["owner_id"] == runtime.registry.user_id(f"admin@{TENANT}.test")
    runs = bapi.get(f"_rule_runs?entity=deal&id={deal['id']}").json()["items"]
    assert runs[0]["changes"] == {"owner_id": None}
