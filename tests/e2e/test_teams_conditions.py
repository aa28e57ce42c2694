"""Teams and the manager hierarchy (``team`` scope), and ``user.<attribute>`` conditions."""

from __future__ import annotations

from typing import Any

import pytest
from authz_support import TENANT, World, build_world
from litestar.testing import TestClient

from trellis.cli import main
from trellis.platform.config import FakeClock
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.members import get_member, update_member

from helpers import Api, PackageWriter


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    """The runtime on the test's clock: member and token caches expire when it moves."""
    return clocked_runtime


@pytest.fixture
def world(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> World:  # type: ignore[type-arg]
    return build_world(runtime, client, write_package)


def _names(api: Api, entity: str, **params: Any) -> set[str]:
    response = api.get(entity, params=params)
    assert response.status_code == 200, response.text
    return {item["name"] for item in response.json()["items"]}


def _eventually(world: World, check: Any, seconds: float = 2.5) -> None:
    """``check`` (an assertion) passes once ``seconds`` went by on the runtime's clock.

    The caches in between (tokens 2 s, member profiles 1 s) run on that clock, so the
    test moves it instead of waiting.
    """
    clock = world.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(seconds)
    check()


def _hierarchy(world: World) -> None:
    """boss manages mid, mid manages low (transitive); mate shares boss's team; out is alone."""
    world.member("boss", ["manager"])
    for name in ("mid", "low", "mate", "out"):
        world.member(name, ["rep"])
    reg = world.runtime.registry
    update_member(reg, TENANT, "mid@scope.test", manager="boss@scope.test")
    update_member(reg, TENANT, "low@scope.test", manager="mid@scope.test")
    update_member(reg, TENANT, "boss@scope.test", teams=["north"])
    update_member(reg, TENANT, "mate@scope.test", teams=["north"])
    for name in ("boss", "mid", "low", "mate", "out"):
        world.make(name, "deal", name=f"deal of {name}")


def test_team_scope_reaches_team_and_every_report(world: World) -> None:
    _hierarchy(world)
    boss = world.apis["boss"]
    seen = _names(boss, "deal")
    assert seen == {"deal of boss", "deal of mid", "deal of low", "deal of mate"}
    # The global search applies the same team scope in its SQL (docs/search.md).
    found = boss.get("_search", params={"q": "deal of"}).json()["items"]
    assert {hit["title"] for hit in found if hit["entity"] == "deal"} == seen
    # mid manages low only; reps (own scope) see their own deal only.
    world.runtime.registry.add_membership(TENANT, world.ids["mid"], ["manager"])
    _eventually(world, lambda: _check(world.apis["mid"], {"deal of mid", "deal of low"}))
    assert _names(world.apis["out"], "deal") == {"deal of out"}
    out_deal = world.apis["out"].get("deal").json()["items"][0]["id"]
    assert boss.get(f"deal/{out_deal}").status_code == 404
    assert boss.patch(f"deal/{out_deal}", json={"amount": 5}).status_code == 404
    low_deal = world.apis["low"].get("deal").json()["items"][0]["id"]
    assert boss.get(f"deal/{low_deal}").status_code == 200
    assert boss.patch(f"deal/{low_deal}", json={"amount": 5}).status_code == 200


def _check(api: Api, expected: set[str]) -> None:
    assert _names(api, "deal") == expected


def test_team_scope_may_assign_within_the_team_only(world: World) -> None:
    _hierarchy(world)
    boss = world.apis["boss"]
    ok = boss.post("deal", json={"name": "for low", "owner_id": world.ids["low"]})
    assert ok.status_code == 201, ok.text
    refused = boss.post("deal", json={"name": "for out", "owner_id": world.ids["out"]})
    assert refused.status_code == 422
    assert "team" in refused.json()["errors"]["owner_id"][0]


def test_admin_api_changes_manager_and_takes_effect_at_once(world: World) -> None:
    _hierarchy(world)
    boss = world.apis["boss"]
    out_id = world.ids["out"]
    response = world.admin.patch(f"_users/{out_id}", json={"manager": "boss@scope.test"})
    assert response.status_code == 200, response.text
    assert response.json()["manager"] == "boss@scope.test"
    _eventually(world, lambda: _check(boss, {*_all_but(), "deal of out"}), 2.0)
    cleared = world.admin.patch(f"_users/{out_id}", json={"manager": None})
    assert cleared.status_code == 200 and cleared.json()["manager"] is None
    _eventually(world, lambda: _check(boss, _all_but()), 2.0)
    audit = world.admin.get("_audit", params={"action": "member.update"}).json()["items"]
    assert audit[0]["target"] == "user:out@scope.test"
    assert audit[0]["detail"]["after"]["manager"] is None


def _all_but() -> set[str]:
    return {"deal of boss", "deal of mid", "deal of low", "deal of mate"}


def test_admin_api_refuses_bad_member_changes(world: World) -> None:
    _hierarchy(world)
    boss_id, low_id = world.ids["boss"], world.ids["low"]
    loop = world.admin.patch(f"_users/{boss_id}", json={"manager": "low@scope.test"})
    assert loop.status_code == 422
    assert "loop" in loop.json()["errors"]["manager"][0]
    stranger = world.admin.patch(f"_users/{low_id}", json={"manager": "nobody@x.test"})
    assert stranger.status_code == 422
    assert "not a member" in stranger.json()["errors"]["manager"][0]
    bad_team = world.admin.patch(f"_users/{low_id}", json={"teams": ["no spaces"]})
    assert bad_team.status_code == 422 and "teams" in bad_team.json()["errors"]
    bad_attr = world.admin.patch(f"_users/{low_id}", json={"attributes": {"Bad Name": "x"}})
    assert bad_attr.status_code == 422 and "attributes" in bad_attr.json()["errors"]
    unknown_key = world.admin.patch(f"_users/{low_id}", json={"colour": "red"})
    assert unknown_key.status_code == 422 and "colour" in unknown_key.json()["errors"]
    unknown_role = world.admin.patch(f"_users/{low_id}", json={"roles": ["wizard"]})
    assert unknown_role.status_code == 422
    assert world.admin.patch("_users/999999", json={"teams": []}).status_code == 404
    assert world.admin.patch("_users/abc", json={"teams": []}).status_code == 404
    not_admin = world.apis["boss"].patch(f"_users/{low_id}", json={"teams": []})
    assert not_admin.status_code == 403
    assert world.apis["boss"].get("_users").status_code == 403


def test_admin_api_lists_members_and_changes_roles(world: World) -> None:
    _hierarchy(world)
    listed = world.admin.get("_users").json()["items"]
    low = next(m for m in listed if m["email"] == "low@scope.test")
    assert low["manager"] == "mid@scope.test" and low["roles"] == ["rep"]
    changed = world.admin.patch(f"_users/{low['id']}", json={"roles": ["viewer"]})
    assert changed.status_code == 200 and changed.json()["roles"] == ["viewer"]
    # Roles reach the token cache within 2 seconds: the viewer reads every deal.
    _eventually(world, lambda: _check(world.apis["low"], {*_all_but(), "deal of out"}))
    self_demote = world.admin.patch(f"_users/{world.ids['admin']}", json={"roles": ["viewer"]})
    assert self_demote.status_code == 422


def _regional(world: World) -> None:
    for name, city, region in (("Lyon SA", "Lyon", "EU"), ("Austin Inc", "Austin", "US")):
        world.make("admin", "account", name=name, city=city, region=region, secret="s")
    world.member("eu", ["regional"])
    world.member("us", ["regional"])
    world.member("none", ["regional"])
    reg = world.runtime.registry
    update_member(reg, TENANT, "eu@scope.test", attributes={"region": "EU"})
    update_member(reg, TENANT, "us@scope.test", attributes={"region": "US"})


def test_user_attribute_conditions_limit_rows(world: World) -> None:
    _regional(world)

    def regions_apply() -> None:
        # The attributes were written straight to the registry: the member directory
        # sees them within its cache time.
        assert _names(world.apis["eu"], "account") == {"Lyon SA"}
        assert _names(world.apis["us"], "account") == {"Austin Inc"}

    _eventually(world, regions_apply)
    # A member without the attribute reads it as empty: only accounts without a region.
    assert _names(world.apis["none"], "account") == set()
    world.make("admin", "account", name="Nowhere")
    assert _names(world.apis["none"], "account") == {"Nowhere"}
    austin = world.apis["us"].get("account").json()["items"][0]["id"]
    assert world.apis["eu"].get(f"account/{austin}").status_code == 404
    assert "secret" not in world.apis["eu"].get("account").json()["items"][0]


def test_changing_an_attribute_moves_the_rows_within_two_seconds(world: World) -> None:
    _regional(world)
    eu_id = world.ids["eu"]
    moved = world.admin.patch(f"_users/{eu_id}", json={"attributes": {"region": "US"}})
    assert moved.status_code == 200 and moved.json()["attributes"] == {"region": "US"}

    def now_us() -> None:
        assert _names(world.apis["eu"], "account") == {"Austin Inc"}

    _eventually(world, now_us, 2.0)
    removed = world.admin.patch(f"_users/{eu_id}", json={"attributes": {"region": None}})
    assert removed.json()["attributes"] == {}


def test_cli_sets_teams_manager_and_attributes(
    world: World, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    config = runtime.config
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    data = str(config.data_dir)
    world.member("boss", ["manager"])
    code = main(
        [
            "user", "create", TENANT, "new@scope.test", "--password", "long enough secret",
            "--role", "rep", "--team", "north", "--manager", "boss@scope.test",
            "--attr", "region=EU", "--data-dir", data,
        ]
    )  # fmt: skip
    assert code == 0
    member = get_member(runtime.registry, TENANT, "new@scope.test")
    assert member.teams == ("north",) and member.attributes == {"region": "EU"}
    assert member.manager_id == world.ids["boss"]
    code = main(
        [
            "user", "set", TENANT, "new@scope.test", "--add-team", "south",
            "--manager", "", "--attr", "region=", "--attr", "tier=gold", "--data-dir", data,
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "teams: north, south" in out and "manager: -" in out and "tier=gold" in out
    member = get_member(runtime.registry, TENANT, "new@scope.test")
    assert member.manager_id is None and member.attributes == {"tier": "gold"}
    assert main(["user", "show", TENANT, "new@scope.test", "--data-dir", data]) == 0
    bad = main(["user", "set", TENANT, "new@scope.test", "--attr", "oops", "--data-dir", data])
    assert bad == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["user", "set", TENANT, "new@scope.test", "--data-dir", data]) == 1
    loop = main(
        [
            "user",
            "set",
            TENANT,
            "boss@scope.test",
            "--manager",
            "new@scope.test",
            "--data-dir",
            data,
        ]
    )
    assert loop == 0  # new no longer reports to boss, so this is no loop
    again = main(
        [
            "user",
            "set",
            TENANT,
            "new@scope.test",
            "--manager",
            "boss@scope.test",
            "--data-dir",
            data,
        ]
    )
    assert again == 1
    assert "loop" in capsys.readouterr().err


def test_registry_refuses_bad_profiles(world: World) -> None:
    world.member("a", ["rep"])
    reg = world.runtime.registry
    with pytest.raises(RegistryError, match="not a member"):
        update_member(reg, TENANT, "ghost@scope.test", teams=["x"])
    with pytest.raises(RegistryError, match="No tenant"):
        update_member(reg, "nope", "a@scope.test", teams=["x"])
    with pytest.raises(RegistryError, match="reporting loop"):
        update_member(reg, TENANT, "a@scope.test", manager="a@scope.test")
    with pytest.raises(RegistryError, match="longer than"):
        update_member(reg, TENANT, "a@scope.test", attributes={"region": "x" * 201})
