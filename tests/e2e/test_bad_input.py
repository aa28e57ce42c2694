"""Bad input: each gets a clear 4xx in the error format, writes nothing, and the server
keeps serving (issue 12, "Bad input" and "Found" 5 and 8)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.query import compile_filter
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import Api
from ui_support import crm_tenant, post_form, sign_in

JSON_TYPE = {"Content-Type": "application/json"}
NUL = "Text must not contain NUL characters."


def _errors(response: Any) -> dict[str, list[str]]:
    """The body's ``errors`` (every refusal uses the one error format)."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    errors = response.json()["errors"]
    assert isinstance(errors, dict) and errors
    assert all(isinstance(m, list) and all(isinstance(x, str) for x in m) for m in errors.values())
    return errors


def _serving(api: Api, count: int) -> None:
    """The server still answers and holds exactly ``count`` accounts."""
    listing = api.get("account")
    assert listing.status_code == 200
    assert listing.json()["count"] == count


def test_malformed_json_is_400_and_writes_nothing(api: Api) -> None:
    for body in (b'{"name": ', b"{'name': 'x'}", b'{"name": "x"} tail', b"NaN"):
        response = api.post("account", content=body, headers=JSON_TYPE)
        assert response.status_code == 400, body
        assert "not valid JSON" in _errors(response)["__all__"][0]
    _serving(api, 0)


def test_invalid_utf8_is_400(api: Api) -> None:
    response = api.post("account", content=b'{"name": "\xff\xfe"}', headers=JSON_TYPE)
    assert response.status_code == 400
    assert "UTF-8" in _errors(response)["__all__"][0]
    _serving(api, 0)


NUL_VALUES: list[tuple[str, Any]] = [
    ("name", "A\u0000B"),
    ("notes", "line\u0000"),
    ("email", "a\u0000@x.test"),
    ("phone", "+33\u00001"),
    ("website", "https://x.test/\u0000"),
    ("industry", "retail\u0000"),
    ("tags", ["vip", "a\u0000"]),
    ("extra", {"deep": [{"text": "\u0000"}]}),
    ("extra", {"key\u0000": 1}),
]


def test_nul_in_any_text_like_field_is_422_naming_it(api: Api) -> None:
    created = api.post("account", json={"name": "ok"}).json()
    for field, value in NUL_VALUES:
        data = {"name": "A", field: value}
        response = api.post("account", json=data)
        assert response.status_code == 422, field
        assert _errors(response) == {field: [NUL]}
        patched = api.patch(f"account/{created['id']}", json={field: value})
        assert patched.status_code == 422 and _errors(patched) == {field: [NUL]}
        bulk = api.post("account/bulk", json=[data]).json()
        assert bulk["items"][0]["errors"] == {field: [NUL]}
    _serving(api, 1)
    assert api.get(f"account/{created['id']}").json()["version"] == 1


def test_nul_in_filters_search_and_path_is_400(api: Api) -> None:
    api.post("account", json={"name": "a"})
    for path, params in [
        ("account", {"filter": 'name == "a\u0000"'}),
        ("account", {"sort": "name\u0000"}),
        ("_search", {"q": "a\u0000"}),
        ("account/_autocomplete", {"q": "\u0000"}),
        ("account/_export", {"filter": 'name contains "\u0000"'}),
    ]:
        response = api.get(path, params=params)
        assert response.status_code == 400, (path, params)
        assert _errors(response) == {"__all__": ["The URL must not contain NUL characters."]}
    assert api.get("account%00").status_code == 400
    _serving(api, 1)


@pytest.mark.parametrize("depth", [65, 1_000, 10_000])
def test_json_nested_deeper_than_64_is_400(api: Api, depth: int) -> None:
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        response = api.post("account", content=body, headers=JSON_TYPE)
        assert response.status_code == 400
        assert _errors(response) == {
            "__all__": ["The JSON body is nested more than 64 levels deep."]
        }
    nested = b'{"name": "x", "extra": ' + b"[" * depth + b"]" * depth + b"}"
    assert api.post("account", content=nested, headers=JSON_TYPE).status_code == 400
    assert api.post("account/bulk", content=nested, headers=JSON_TYPE).status_code == 400
    _serving(api, 0)


def test_json_nested_64_deep_parses_and_deep_field_values_are_422(api: Api) -> None:
    shallow = api.post("account", content=b"[" * 64 + b"]" * 64, headers=JSON_TYPE)
    assert shallow.status_code == 400
    assert _errors(shallow) == {"__all__": ["The body must be a JSON object."]}
    deep_value = {"name": "x", "extra": json.loads("[" * 40 + "]" * 40)}
    response = api.post("account", json=deep_value)
    assert response.status_code == 422
    assert "more than 32 levels deep" in _errors(response)["extra"][0]
    _serving(api, 0)


def test_body_over_the_limit_is_413(api: Api) -> None:
    big = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = api.post("account", content=big, headers=JSON_TYPE)
    assert response.status_code == 413
    assert "larger than 5242880 bytes" in _errors(response)["__all__"][0]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"name": "'
        for _ in range(6):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    streamed = api.post("account", content=chunks(), headers=JSON_TYPE)
    assert streamed.status_code == 413
    _errors(streamed)
    _serving(api, 0)


def test_body_that_is_not_declared_json_is_415(api: Api) -> None:
    created = api.post("account", json={"name": "ok"}).json()
    body = b'{"name": "plain"}'
    for content_type in (
        None,
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        answers = [
            api.post("account", content=body, headers=headers),
            api.post("account/bulk", content=b"[" + body + b"]", headers=headers),
            api.post("account/_form", content=body, headers=headers),
            api.patch(f"account/{created['id']}", content=body, headers=headers),
            api.post(
                "_check", content=b'{"entity": "account", "expression": "1"}', headers=headers
            ),
            api.post(
                f"account/{created['id']}/_comments", content=b'{"body": "x"}', headers=headers
            ),
        ]
        for response in answers:
            assert response.status_code == 415, (content_type, response.request.url)
            assert "application/json" in _errors(response)["Content-Type"][0]
    _serving(api, 1)
    assert api.get(f"account/{created['id']}").json()["name"] == "ok"


def test_json_content_types_with_parameters_are_accepted(api: Api) -> None:
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ):
        headers = {"Content-Type": content_type}
        response = api.post("account", content=b'{"name": "A"}', headers=headers)
        assert response.status_code == 201, (content_type, response.text)
        ident = response.json()["id"]
        patched = api.patch(f"account/{ident}", content=b'{"name": "B"}', headers=headers)
        assert patched.status_code == 200 and patched.json()["name"] == "B"
    _serving(api, 4)


def test_overlong_url_is_414(api: Api) -> None:
    response = api.get("account", params={"filter": "name == " + '"' + "x" * 9000 + '"'})
    assert response.status_code == 414
    assert "longer than 8192 bytes" in _errors(response)["__all__"][0]
    assert api.get("account/" + "1" * 9000).status_code == 414
    _serving(api, 0)


def test_oversized_headers_are_431(api: Api) -> None:
    response = api.get("account", headers={"X-Padding": "x" * 17_000})
    assert response.status_code == 431
    assert "headers are larger than 16384 bytes" in _errors(response)["__all__"][0]
    many = {f"X-Pad-{i}": "y" * 200 for i in range(100)}
    assert api.get("account", headers=many).status_code == 431
    _serving(api, 0)


def test_unknown_query_parameter_on_record_routes_is_400_naming_it(api: Api) -> None:
    created = api.post("account", json={"name": "A"}).json()
    listing = api.get("account", params={"filtr": 'name == "A"'})
    assert listing.status_code == 400
    assert "did you mean 'filter'" in _errors(listing)["filtr"][0]
    assert api.get(f"account/{created['id']}", params={"x": "1"}).status_code == 400
    refused = api.post("account", params={"dryrun": "true"}, json={"name": "B"})
    assert refused.status_code == 400 and "dryrun" in _errors(refused)
    known = {"filter": 'name == "A"', "sort": "name", "limit": "5", "fields": "name"}
    assert api.get("account", params=known).json()["count"] == 1
    _serving(api, 1)


def test_if_match_beyond_a_version_is_400(api: Api) -> None:
    created = api.post("account", json={"name": "A"}).json()
    path = f"account/{created['id']}"
    for header in ("9" * 5000, '"' + "9" * 20 + '"', "9" * 19):
        response = api.patch(path, json={"name": "B"}, headers={"If-Match": header})
        assert response.status_code == 400, header[:30]
        assert "If-Match" in _errors(response)
        assert api.delete(path, headers={"If-Match": header}).status_code == 400
    stored = api.get(path).json()
    assert (stored["name"], stored["version"]) == ("A", 1)


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


CRAFTED_CURSORS: list[tuple[str | None, str]] = [
    (None, _cursor({"s": [], "v": [], "id": 10**30})),
    (None, _cursor({"s": [], "v": [], "id": [1]})),
    (None, _cursor({"s": [], "v": [], "id": {"a": 1}})),
    (None, _cursor({"s": [], "v": [], "id": "7"})),
    (None, _cursor({"s": [], "v": [], "id": True})),
    (None, _cursor([1, 2])),
    (None, "!!!not-base64!!!"),
    (None, base64.urlsafe_b64encode(b"\xff\xfe\x00").decode()),
    (None, "A" * 5000),
    ("employees", _cursor({"s": ["employees"], "v": ["abc"], "id": 1})),
    ("employees", _cursor({"s": ["employees"], "v": [10**30], "id": 1})),
    ("employees", _cursor({"s": ["employees"], "v": [[1]], "id": 1})),
    ("employees", _cursor({"s": ["employees"], "v": [{"x": 1}], "id": 1})),
    ("employees", _cursor({"s": ["employees"], "v": [1.5], "id": 1})),
    ("created_at", _cursor({"s": ["created_at"], "v": ["abc"], "id": 1})),
    ("created_at", _cursor({"s": ["created_at"], "v": [{"t": "2026-01-01"}], "id": 1})),
    ("-founded", _cursor({"s": ["-founded"], "v": [{"t": "zz"}], "id": 1})),
    ("revenue", _cursor({"s": ["revenue"], "v": [{"d": "1e999999"}], "id": 1})),
    ("revenue", _cursor({"s": ["revenue"], "v": [{"d": "NaN"}], "id": 1})),
    ("revenue", _cursor({"s": ["revenue"], "v": [5], "id": 1})),
    ("name", _cursor({"s": ["name"], "v": [7], "id": 1})),
    ("name", _cursor({"s": ["name"], "v": ["a\u0000"], "id": 1})),
    ("active", _cursor({"s": ["active"], "v": ["yes"], "id": 1})),
    ("name", _cursor({"s": ["email"], "v": ["a"], "id": 1})),
]


def test_crafted_cursor_is_400_never_an_empty_page(api: Api) -> None:
    for i in range(3):
        api.post(
            "account",
            json={"name": f"n{i}", "employees": i, "revenue": i, "founded": f"2026-01-0{i + 1}"},
        )
    for sort, cursor in CRAFTED_CURSORS:
        params = {"cursor": cursor, **({"sort": sort} if sort else {})}
        response = api.get("account", params=params)
        assert response.status_code == 400, (sort, cursor, response.text)
        assert _errors(response) == {"cursor": ["Invalid cursor."]}
    _serving(api, 3)


def test_real_cursors_still_page_through_every_row(api: Api) -> None:
    for i in range(5):
        api.post(
            "account",
            json={"name": f"n{i}", "employees": i % 2, "revenue": "1.50", "active": i % 2 == 0},
        )
    for sort in (None, "employees", "-created_at", "founded", "revenue", "name", "-active"):
        seen: list[int] = []
        params: dict[str, str] = {"limit": "2", **({"sort": sort} if sort else {})}
        while True:
            response = api.get("account", params=params)
            assert response.status_code == 200, (sort, response.text)
            body = response.json()
            seen.extend(item["id"] for item in body["items"])
            if not body["next_cursor"]:
                break
            params["cursor"] = body["next_cursor"]
        assert len(seen) == len(set(seen)) == 5, sort


def test_bulk_upsert_on_a_key_matching_several_records_is_an_item_error(api: Api) -> None:
    for _ in range(3):
        api.post("account", json={"name": "Dup", "employees": 1})
    api.post("account", json={"name": "Solo", "employees": 1})
    response = api.post(
        "account/bulk",
        json={
            "upsert_key": "name",
            "items": [
                {"name": "Dup", "employees": 99},
                {"name": "Solo", "employees": 5},
                {"name": "New", "employees": 7},
            ],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert [i["status"] for i in body["items"]] == ["error", "updated", "created"]
    assert body["items"][0]["errors"] == {
        "name": ["upsert_key 'name' matches 3 records; make it unique or update them by id."]
    }
    rows = api.get("account", params={"sort": "name"}).json()["items"]
    assert [(r["name"], r["employees"]) for r in rows] == [
        ("Dup", 1),
        ("Dup", 1),
        ("Dup", 1),
        ("New", 7),
        ("Solo", 5),
    ]


def test_bulk_upsert_key_value_is_checked_like_a_field(api: Api) -> None:
    response = api.post(
        "account/bulk",
        json={
            "upsert_key": "revenue",
            "items": [{"name": "A", "revenue": "1" + "0" * 30}, {"name": "B", "revenue": "3"}],
        },
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["error", "created"]
    assert "Must be between" in items[0]["errors"]["revenue"][0]
    assert api.post("account/bulk", json={"upsert_key": "tags", "items": []}).status_code == 400
    _serving(api, 1)


def test_boolean_sort_pages_past_the_first_page(api: Api) -> None:
    # The keyset predicate compared a boolean column with ``<``: a 500 on page two.
    for i in range(3):
        api.post("account", json={"name": f"n{i}", "active": i == 1})
    first = api.get("account", params={"sort": "-active", "limit": "1"}).json()
    assert first["items"][0]["active"] is True
    second = api.get(
        "account", params={"sort": "-active", "limit": "5", "cursor": first["next_cursor"]}
    )
    assert second.status_code == 200
    assert [item["active"] for item in second.json()["items"]] == [False, False]


def test_filter_text_with_nul_is_refused_before_sql(api: Api, runtime: Runtime) -> None:
    # Filters also arrive outside URLs (saved views are posted forms).
    app = runtime.app("acme")
    with pytest.raises(BadRequestError) as caught:
        compile_filter('name == "a\x00"', app.model.entities["account"], app.model)
    assert caught.value.errors == {"filter": ["The filter must not contain NUL characters."]}


def test_screens_answer_bad_urls_with_an_error_page(runtime: Runtime) -> None:
    crm_tenant(runtime, "shop")
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "shop", "admin@shop.test").status_code == 303
        nul = web.get("/t/shop/e/account", params={"q": "a\x00"})
        assert nul.status_code == 400
        assert "<html" in nul.text and "NUL" in nul.text
        long = web.get("/t/shop/e/account", params={"q": "x" * 9000})
        assert long.status_code == 414 and "<html" in long.text
        created = post_form(web, "/t/shop/e/account", {"name": "Form post"}, follow_redirects=False)
        assert created.status_code == 303  # form posts are not JSON and are not refused
        assert web.get("/t/shop/e/account").status_code == 200
