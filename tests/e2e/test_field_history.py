"""Field history and time travel end to end on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recycle_support import TENANT, BinWorld, build_bin_world
from ui_support import post_form, sign_in


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BinWorld]:
    yield from build_bin_world(request.param, tmp_path_factory.mktemp(request.param))


def _history(world: BinWorld, who: str, path: str, **params: Any) -> dict[str, Any]:
    response = world.apis[who].get(path, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _tick(world: BinWorld) -> str:
    world.clock.advance(1)
    return world.clock.now().isoformat().replace("+00:00", "Z")


def test_history_shape_sources_and_paging(world: BinWorld) -> None:
    admin = world.apis["admin"]
    pid = world.make("admin", "project", name="Gemini", budget=1)["id"]
    _tick(world)
    assert admin.patch(f"project/{pid}", json={"budget": 2}).status_code == 200
    _tick(world)
    world.make("admin", "task", title="Child", project=pid)  # the rollup writes the parent
    _tick(world)
    assert admin.delete(f"project/{pid}").status_code == 204
    _tick(world)
    assert admin.post(f"project/{pid}/_restore").status_code == 200

    body = _history(world, "admin", f"project/{pid}/_history")
    assert set(body) == {"items", "next_cursor"} and body["next_cursor"] is None
    items = body["items"]
    assert all(set(i) == {"at", "user_id", "source", "changes"} for i in items)
    assert [i["source"] for i in items] == ["restore", "api", "rollup", "api", "api"]
    assert items[-1]["changes"]["name"] == [None, "Gemini"]  # the create, oldest last
    assert items[-2]["changes"] == {"budget": [1, 2]}
    assert items[2]["changes"] == {"tasks": [0, 1]}
    assert items[-1]["user_id"] == world.ids["admin"]

    first = _history(world, "admin", f"project/{pid}/_history", limit=3)
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = _history(world, "admin", f"project/{pid}/_history", cursor=first["next_cursor"])
    assert first["items"] + rest["items"] == items and rest["next_cursor"] is None


def test_bulk_writes_are_recorded_as_imports(world: BinWorld) -> None:
    answer = world.apis["admin"].post("project/bulk", json=[{"name": "Imported"}])
    assert answer.status_code == 200, answer.text
    pid = answer.json()["items"][0]["record"]["id"]
    items = _history(world, "admin", f"project/{pid}/_history")["items"]
    assert [i["source"] for i in items] == ["import"]


def test_hidden_fields_and_scope(world: BinWorld) -> None:
    admin, rep = world.apis["admin"], world.apis["rep"]
    pid = world.make("rep", "project", name="Own", budget=5)["id"]
    _tick(world)
    assert admin.patch(f"project/{pid}", json={"secret": "classified"}).status_code == 200
    _tick(world)
    assert rep.patch(f"project/{pid}", json={"budget": 6}).status_code == 200

    seen = _history(world, "rep", f"project/{pid}/_history")["items"]
    assert len(seen) == 2  # the write of the hidden field alone is left out whole
    assert all("secret" not in i["changes"] for i in seen)
    assert "secret" in _history(world, "admin", f"project/{pid}/_history")["items"][1]["changes"]
    at = seen[0]["at"]
    past = rep.get(f"project/{pid}", params={"as_of": at})
    assert past.status_code == 200 and "secret" not in past.json()

    for who in ("rep2", "outsider"):  # another owner under own scope, another tenant
        assert world.apis[who].get(f"project/{pid}/_history").status_code == 404
        assert world.apis[who].get(f"project/{pid}", params={"as_of": at}).status_code == 404
    assert world.apis["viewer"].get(f"project/{pid}/_history").status_code == 200


def test_as_of_rebuilds_the_record(world: BinWorld) -> None:
    admin = world.apis["admin"]
    before = _tick(world)
    _tick(world)
    created = world.make("admin", "project", name="Voyager", budget=10)
    pid = created["id"]
    at_create = world.clock.now().isoformat()
    _tick(world)
    updated = admin.patch(f"project/{pid}", json={"budget": 20, "name": "Voyager 2"}).json()
    _tick(world)
    assert admin.patch(f"project/{pid}", json={"budget": 30}).status_code == 200

    old = admin.get(f"project/{pid}", params={"as_of": at_create})
    assert old.status_code == 200 and old.json() == created
    assert old.headers["etag"] == '"1"'
    middle = admin.get(f"project/{pid}", params={"as_of": updated["updated_at"]})
    assert middle.json() == updated
    assert admin.get(f"project/{pid}", params={"as_of": before}).status_code == 404
    _tick(world)
    assert admin.delete(f"project/{pid}").status_code == 204
    deleted_at = _tick(world)
    assert admin.get(f"project/{pid}", params={"as_of": deleted_at}).status_code == 404
    assert admin.get(f"project/{pid}", params={"as_of": at_create}).json() == created


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "2026-10-01"}, "as_of"),
        ({"as_of": "2026-13-01T00:00:00Z"}, "as_of"),
        ({"as_of": ""}, "as_of"),
    ],
)
def test_malformed_as_of_is_400(world: BinWorld, params: dict[str, str], field: str) -> None:
    pid = world.make("admin", "project", name="Bad input")["id"]
    response = world.apis["admin"].get(f"project/{pid}", params=params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"cursor": "x1"}, "cursor"), ({"limit": "0"}, "limit"), ({"sort": "at"}, "sort")],
)
def test_bad_history_requests_are_400(world: BinWorld, params: dict[str, str], field: str) -> None:
    pid = world.make("admin", "project", name="Bad paging")["id"]
    response = world.apis["admin"].get(f"project/{pid}/_history", params=params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


UPDATES = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.text(alphabet="abcxyz ", min_size=1, max_size=8).filter(str.strip),
            "budget": st.one_of(st.none(), st.integers(-1000, 1000)),
            "secret": st.one_of(st.none(), st.sampled_from(["a", "b"])),
        },
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(updates=UPDATES)
def test_as_of_at_each_change_is_the_record_then(
    world: BinWorld, updates: list[dict[str, Any]]
) -> None:
    admin = world.apis["admin"]
    snapshots = [world.make("admin", "project", name="Prop")]
    pid = snapshots[0]["id"]
    for update in updates:
        _tick(world)
        response = admin.patch(f"project/{pid}", json=update)
        assert response.status_code == 200, response.text
        snapshots.append(response.json())
    for snapshot in snapshots:
        past = admin.get(f"project/{pid}", params={"as_of": snapshot["updated_at"]})
        assert past.status_code == 200
        assert past.json() == snapshot


def test_history_screen_diffs_view_as_of_and_restore_this_value(world: BinWorld) -> None:
    admin = world.apis["admin"]
    created = world.make("admin", "project", name="Screened", budget=100, secret="top")
    pid = created["id"]
    _tick(world)
    assert admin.patch(f"project/{pid}", json={"budget": 250}).status_code == 200
    web = world.client  # API calls carry tokens; the screens use the signed-in session
    assert sign_in(web, TENANT, "admin@bin.test", world.password).status_code == 303
    assert f"/t/bin/e/project/{pid}/history" in web.get(f"/t/bin/e/project/{pid}").text
    screen = web.get(f"/t/bin/e/project/{pid}/history")
    assert screen.status_code == 200
    assert "Restore this value" in screen.text and "<del>100</del>" in screen.text
    then = web.get(f"/t/bin/e/project/{pid}/history", params={"as_of": created["updated_at"]})
    assert 'id="past-budget">100<' in then.text
    bad = web.get(f"/t/bin/e/project/{pid}/history", params={"as_of": "soon"})
    assert bad.status_code == 400
    back = post_form(
        web,
        f"/t/bin/e/project/{pid}/history/restore",
        {"field": "budget", "value": "100"},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert admin.get(f"project/{pid}").json()["budget"] == 100
    assert admin.get(f"project/{pid}/_history").json()["items"][0]["source"] == "form"


def _listed(world: BinWorld, who: str, **params: Any) -> dict[str, Any]:
    response = world.apis[who].get("project", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_list_as_of_rebuilds_filters_sorts_and_pages_past_values(world: BinWorld) -> None:
    admin = world.apis["admin"]
    a = world.make("admin", "project", name="LAO a", budget=1)["id"]
    b = world.make("admin", "project", name="LAO b", budget=5)["id"]
    gone = world.make("admin", "project", name="LAO gone", budget=3)["id"]
    binned = world.make("admin", "project", name="LAO binned", budget=9)["id"]
    assert admin.delete(f"project/{binned}").status_code == 204
    then = _tick(world)
    _tick(world)  # the changes below come after 'then'
    assert admin.patch(f"project/{a}", json={"budget": 7, "name": "LAO a2"}).status_code == 200
    assert admin.delete(f"project/{gone}").status_code == 204
    world.make("admin", "project", name="LAO later", budget=4)
    _tick(world)

    past = _listed(world, "admin", as_of=then, filter='name contains "LAO"', sort="-budget")
    assert [i["id"] for i in past["items"]] == [b, gone, a]  # 5, 3, 1; not 'later' nor binned
    assert [i["budget"] for i in past["items"]] == [5, 3, 1]
    assert past["items"][2]["name"] == "LAO a"  # the name it had then
    assert past["count"] == 3 and past["count_exact"] is True and past["next_cursor"] is None
    # The filter tests the past values: a's budget was 1 then, 7 now.
    big = _listed(world, "admin", as_of=then, filter='name contains "LAO" and budget > 2')
    assert sorted(i["id"] for i in big["items"]) == sorted([b, gone])
    now = _listed(world, "admin", filter='name contains "LAO" and budget > 2')
    assert a in [i["id"] for i in now["items"]] and gone not in [i["id"] for i in now["items"]]

    first = _listed(
        world, "admin", as_of=then, filter='name contains "LAO"', sort="budget", limit=2
    )
    assert [i["id"] for i in first["items"]] == [a, gone] and first["next_cursor"]
    rest = _listed(
        world,
        "admin",
        as_of=then,
        filter='name contains "LAO"',
        sort="budget",
        limit=2,
        cursor=first["next_cursor"],
    )
    assert [i["id"] for i in rest["items"]] == [b] and rest["next_cursor"] is None


def test_a_list_as_of_keeps_scope_and_hidden_fields(world: BinWorld) -> None:
    mine = world.make("rep", "project", name="LAOS mine", budget=2)["id"]
    world.make("admin", "project", name="LAOS theirs", budget=2)
    at = _tick(world)
    _tick(world)
    body = _listed(world, "rep", as_of=at, filter='name contains "LAOS"')
    assert [i["id"] for i in body["items"]] == [mine]
    assert all("secret" not in i for i in body["items"])
    refused = world.apis["rep"].get("project", params={"as_of": at, "filter": 'secret == "x"'})
    assert refused.status_code == 400, refused.text


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"as_of": "2026-10-01"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "2026-10-01T00:00:00Z", "cursor": "eyJrIjpbXX0"}, "cursor"),
        ({"as_of": "2026-10-01T00:00:00Z", "cursor": "a-1"}, "cursor"),
        ({"as_of": "2026-10-01T00:00:00Z", "filter": "budget >"}, "filter"),
    ],
)
def test_a_bad_list_as_of_request_is_400_naming_the_parameter(
    world: BinWorld, params: dict[str, str], named: str
) -> None:
    response = world.apis["admin"].get("project", params=params)
    assert response.status_code == 400, response.text
    assert named in response.json()["errors"]
