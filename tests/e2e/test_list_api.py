"""Listing: filters in the rule language, sorting, limits, fields and keyset cursors."""

from __future__ import annotations

from typing import Any

from helpers import Api


def _seed(api: Api, rows: list[dict[str, Any]]) -> None:
    response = api.post("account/bulk", json=rows)
    assert response.json()["failed"] == 0, response.text


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_filter_sort_and_fields(api: Api) -> None:
    _seed(
        api,
        [
            {"name": "a", "employees": 5, "industry": "retail", "tags": ["vip"]},
            {"name": "b", "employees": 50, "industry": "tech"},
            {"name": "c", "employees": 500, "industry": "retail"},
            {"name": "d", "industry": "finance", "tags": ["VIP", "eu"]},
        ],
    )
    assert _names(
        api.get("account", params={"filter": "employees > 10", "sort": "-employees"})
    ) == ["c", "b"]
    assert _names(
        api.get("account", params={"filter": 'industry == "retail"', "sort": "name"})
    ) == ["a", "c"]
    assert _names(api.get("account", params={"filter": 'tags contains "vip"', "sort": "name"})) == [
        "a",
        "d",
    ]
    assert _names(api.get("account", params={"filter": "employees is empty"})) == ["d"]
    assert _names(
        api.get("account", params={"filter": 'industry != "retail"', "sort": "-name"})
    ) == ["d", "b"]
    assert _names(api.get("account", params={"sort": "industry,-employees"})) == [
        "d",
        "c",
        "a",
        "b",
    ]
    # empty values sort last ascending, first descending
    assert _names(api.get("account", params={"sort": "employees"})) == ["a", "b", "c", "d"]
    assert _names(api.get("account", params={"sort": "-employees"})) == ["d", "c", "b", "a"]
    only = api.get("account", params={"fields": "name,employees", "sort": "name", "limit": 1})
    assert only.json()["items"] == [
        {"id": only.json()["items"][0]["id"], "name": "a", "employees": 5}
    ]
    assert only.json()["count"] == 4 and only.json()["count_exact"] is True


def test_filter_errors_name_the_position(api: Api) -> None:
    syntax = api.get("account", params={"filter": "employees > (1"})
    assert syntax.status_code == 400
    body = syntax.json()
    assert body["diagnostics"][0]["line"] == 1
    assert body["diagnostics"][0]["column"] >= 13
    assert "line 1, column" in body["errors"]["filter"][0]
    unknown = api.get("account", params={"filter": "employes > 1"})
    assert unknown.status_code == 400
    assert "did you mean 'employees'" in unknown.json()["errors"]["filter"][0]
    assert unknown.json()["diagnostics"][0]["column"] == 1
    typed = api.get("account", params={"filter": 'employees > "many"'})
    assert typed.status_code == 400


def test_sort_limit_and_fields_errors(api: Api) -> None:
    assert api.get("account", params={"sort": "nmae"}).status_code == 400
    assert "did you mean 'name'" in api.get("account", params={"sort": "nmae"}).text
    assert api.get("account", params={"sort": "tags"}).status_code == 400
    assert api.get("account", params={"limit": 501}).status_code == 400
    assert api.get("account", params={"limit": 0}).status_code == 400
    assert api.get("account", params={"limit": "x"}).status_code == 400
    assert api.get("account", params={"limit": 500}).status_code == 200
    assert api.get("account", params={"fields": "name,nope"}).status_code == 400
    assert api.get("account", params={"cursor": "garbage"}).status_code == 400


def test_default_limit_is_50(api: Api) -> None:
    _seed(api, [{"name": f"n{i:03d}"} for i in range(60)])
    page = api.get("account").json()
    assert len(page["items"]) == 50
    assert page["next_cursor"]


def _walk(api: Api, params: dict[str, Any], between: Any = None) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        query = dict(params)
        if cursor:
            query["cursor"] = cursor
        page = api.get("account", params=query).json()
        seen += [item["name"] for item in page["items"]]
        if between:
            between()
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


def test_keyset_paging_never_skips_or_repeats_under_inserts(api: Api) -> None:
    rows = [{"name": f"r{i:02d}", "employees": i % 4 if i % 5 else None} for i in range(30)]
    _seed(api, rows)
    inserted = iter(range(100, 200))

    def insert_some() -> None:
        n = next(inserted)
        _seed(api, [{"name": f"new{n}", "employees": n % 4}, {"name": f"late{n}"}])

    for sort in ("employees,name", "-employees,-name", "name", "-employees"):
        seen = _walk(api, {"sort": sort, "limit": 4}, insert_some)
        original = [n for n in seen if n.startswith("r")]
        assert sorted(original) == sorted(r["name"] for r in rows), sort
        assert len(seen) == len(set(seen)), sort


def test_cursor_is_reusable_and_bound_to_its_sort(api: Api) -> None:
    _seed(api, [{"name": f"n{i}"} for i in range(5)])
    first = api.get("account", params={"sort": "name", "limit": 2}).json()
    again = api.get(
        "account", params={"sort": "name", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    twice = api.get(
        "account", params={"sort": "name", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert again == twice
    assert [i["name"] for i in again["items"]] == ["n2", "n3"]
    other = api.get("account", params={"sort": "-name", "cursor": first["next_cursor"]})
    assert other.status_code == 400


def test_count_is_estimated_past_the_cap(api: Api, runtime: Any) -> None:
    object.__setattr__(runtime.config, "count_cap", 3)
    _seed(api, [{"name": f"n{i}"} for i in range(5)])
    page = api.get("account", params={"limit": 1}).json()
    assert page["count_exact"] is False
    assert page["count"] >= 4
