"""if(), divide() and hash_bucket() through a published package, on SQLite and PostgreSQL.

Stored formulas use them and are filtered and sorted in SQL; a default, a validation
and a trigger rule use them on save; filters use them directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.conftest import PG_URL, drop_schemas
from tests.helpers import Api
from trellis.metadata.diagnostics import MetadataError
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.rules.expr.hashing import hash_bucket
from trellis.ui.screens.app import create_web_app

OFFER = """\
label: Offer
title: name
fields:
  name: {type: string, required: true}
  email: {type: email}
  score: {type: integer}
  revenue: {type: money}
  cost: {type: money}
  active: {type: boolean}
  tier: {type: string, formula: 'if(score >= 50, "gold", if(score >= 10, "silver", "basic"))'}
  roi: {type: decimal, scale: 4, formula: "divide(revenue - cost, cost)"}
  bucket: {type: integer, formula: "hash_bucket(email, 2)"}
  variant: {type: string, default: 'if(hash_bucket(email, 2) == 0, "A", "B")'}
  note: {type: string}
validations:
  - when: "if(active, cost > revenue, false)"
    field: cost
    message: "An active offer cannot cost more than it earns."
"""
RULES = """\
rule "Flag big offers"
  on offer created, updated
  when changed(score)
  then set note = if(score > 90, "star", "plain")
end
"""


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Tenant ``ff`` with the offer entity and its rule."""
    root = tmp_path_factory.mktemp("ff")
    package = root / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "entities" / "offer.yaml").write_text(OFFER)
    (package / "rules").mkdir()
    (package / "rules" / "offers.rules").write_text(RULES)
    (package / "app.yaml").write_text("name: offers\nversion: 1.0.0\nlabel: Offers\n")
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        config = RuntimeConfig(data_dir=root / "data", version_check_interval=0.0)
    else:
        config = RuntimeConfig(
            data_dir=root / "data",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    runtime = Runtime(config)
    try:
        runtime.registry.create_tenant("ff")
        publish(runtime, "ff", Path(package))
        user = runtime.registry.ensure_user("admin@ff.test", "correct horse battery")
        runtime.registry.add_membership("ff", user, ["admin"])
        token = runtime.registry.create_token("ff", "admin@ff.test")
        with TestClient(app=create_web_app(runtime)) as client:
            api = Api(client, "ff", token)
            for body in OFFERS:
                created = api.post("offer", json=body)
                assert created.status_code == 201, created.text
            yield api
    finally:
        runtime.close()
        if request.param == "postgres":
            drop_schemas(PG_URL, prefix)


OFFERS = [
    {"name": "a", "email": "a@x.test", "score": 95, "revenue": "300", "cost": "100"},
    {"name": "b", "email": "b@x.test", "score": 20, "revenue": "150", "cost": "100"},
    {"name": "c", "email": "c@x.test", "score": 5, "revenue": "80", "cost": "0"},
    {"name": "d", "score": 60, "revenue": "50", "cost": "200"},
    {"name": "e", "email": "e@x.test", "revenue": "10"},
]


def _names(api: Api, **params: str) -> list[str]:
    answer = api.get("offer", params={"limit": "50", **params})
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def test_formulas_are_stored(api: Api) -> None:
    items = {i["name"]: i for i in api.get("offer", params={"limit": "50"}).json()["items"]}
    assert {n: i["tier"] for n, i in items.items()} == {
        "a": "gold",
        "b": "silver",
        "c": "basic",
        "d": "gold",
        "e": "basic",  # an empty score: the conditions are false, so the else branches
    }
    assert items["a"]["roi"] == "2" and items["b"]["roi"] == "0.5"
    assert items["c"]["roi"] is None and items["e"]["roi"] is None  # cost 0 or empty
    assert items["d"]["roi"] == "-0.75"
    for name in "abce":
        assert items[name]["bucket"] == hash_bucket(f"{name}@x.test", 2)
        assert items[name]["variant"] == ("A" if items[name]["bucket"] == 0 else "B")
    assert items["d"]["bucket"] is None


def test_formula_fields_filter_and_sort_in_sql(api: Api) -> None:
    assert _names(api, filter="roi > 0", sort="-roi") == ["a", "b"]
    assert _names(api, filter='tier == "gold"', sort="name") == ["a", "d"]
    assert _names(api, filter="roi is not empty", sort="roi") == ["d", "b", "a"]
    in_a = sorted(n for n in "abce" if hash_bucket(f"{n}@x.test", 2) == 0)
    assert _names(api, filter="bucket == 0", sort="name") == in_a


def test_filters_use_the_functions_directly(api: Api) -> None:
    # The default stands in where the cost is 0 (c) or empty (e).
    negative = _names(api, filter="divide(revenue - cost, cost, -1) < 0", sort="name")
    assert negative == ["c", "d", "e"]
    assert _names(api, filter='if(score > 50, "hi", "lo") == "hi"', sort="name") == ["a", "d"]
    in_b = sorted(n for n in "abce" if hash_bucket(f"{n}@x.test", 2) == 1)
    assert _names(api, filter="hash_bucket(email, 2) == 1", sort="name") == in_b


def test_rule_and_validation_use_if(api: Api) -> None:
    items = {i["name"]: i for i in api.get("offer", params={"limit": "50"}).json()["items"]}
    assert items["a"]["note"] == "star" and items["b"]["note"] == "plain"
    bad = api.post("offer", json={"name": "x", "active": True, "revenue": "1", "cost": "2"})
    assert bad.status_code == 422
    assert bad.json()["errors"]["cost"] == ["An active offer cannot cost more than it earns."]
    fine = api.post("offer", json={"name": "y", "active": False, "revenue": "1", "cost": "2"})
    assert fine.status_code == 201, fine.text


def test_a_formula_with_mismatched_branches_is_refused_at_publish(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "entities").mkdir(parents=True)
    (package / "entities" / "offer.yaml").write_text(
        "label: Offer\nfields:\n  score: {type: integer}\n"
        "  tier: {type: string, formula: 'if(score > 1, \"x\", 2)'}\n"
    )
    (package / "app.yaml").write_text("name: offers\nversion: 1.0.0\nlabel: Offers\n")
    runtime = Runtime(RuntimeConfig(data_dir=tmp_path / "data", version_check_interval=0.0))
    try:
        runtime.registry.create_tenant("bad")
        with pytest.raises(MetadataError) as info:
            publish(runtime, "bad", package)
        text = str(info.value)
        assert "RL016" in text and "offer.yaml:4:" in text, text
    finally:
        runtime.close()
