"""Duplicate rules on save, end to end on SQLite and PostgreSQL: 409 warn, 422 block, form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dedup_support import TENANT, DupWorld, build_dup_world
from ui_support import post_form, sign_in


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DupWorld]:
    yield from build_dup_world(request.param, tmp_path_factory.mktemp(request.param))


def test_warn_rule_answers_409_with_candidates_until_allowed(world: DupWorld) -> None:
    admin = world.apis["admin"]
    first = world.make("admin", "person", first_name="Ana", last_name="Ruiz", phone="+34 600-11-22")
    answer = admin.post("person", json={"first_name": "Anna", "last_name": "Ruiz"})
    assert answer.status_code == 409, answer.text
    candidates = answer.json()["duplicates"]
    assert candidates[0]["id"] == first["id"]
    assert candidates[0]["rule"] == "similar_name"
    assert candidates[0]["title"] == "Ruiz"
    assert 0.85 <= candidates[0]["score"] < 1
    by_phone = admin.post("person", json={"last_name": "Other", "phone": "34600112 2"})
    assert by_phone.status_code == 409
    assert by_phone.json()["duplicates"][0]["rule"] == "same_phone"
    saved = admin.post(
        "person?allow_duplicate=true", json={"first_name": "Anna", "last_name": "Ruiz"}
    )
    assert saved.status_code == 201, saved.text
    # An update that makes a record look like another is asked about too.
    other = world.make("admin", "person", first_name="Zoe", last_name="Zapata")
    moved = admin.patch(f"person/{other['id']}", json={"first_name": "Ana", "last_name": "Ruiz"})
    assert moved.status_code == 409
    assert admin.get(f"person/{other['id']}").json()["last_name"] == "Zapata"
    kept = admin.patch(f"person/{other['id']}?allow_duplicate=1", json={"city": "Lyon"})
    assert kept.status_code == 200


def test_block_rule_refuses_even_when_allowed(world: DupWorld) -> None:
    admin = world.apis["admin"]
    first = world.make("admin", "person", last_name="Block", email="Pat@Example.com")
    for suffix in ("", "?allow_duplicate=true"):
        answer = admin.post(
            f"person{suffix}", json={"last_name": "Else", "email": "pat@example.COM"}
        )
        assert answer.status_code == 422, answer.text
        assert "email" in answer.json()["errors"]
        assert answer.json()["duplicates"][0]["id"] == first["id"]
    # Once the first is deleted, the address is free.
    assert admin.delete(f"person/{first['id']}").status_code == 204
    assert (
        admin.post("person", json={"last_name": "Else", "email": "pat@example.com"}).status_code
        == 201
    )


def test_candidates_outside_the_scope_are_not_revealed(world: DupWorld) -> None:
    world.make("admin", "person", first_name="Hidden", last_name="Secreto")
    answer = world.apis["rep"].post("person", json={"first_name": "Hiden", "last_name": "Secreto"})
    assert answer.status_code == 409
    assert answer.json()["duplicates"] == []


def test_bad_allow_duplicate_value_is_a_400(world: DupWorld) -> None:
    answer = world.apis["admin"].post("person?allow_duplicate=maybe", json={"last_name": "X"})
    assert answer.status_code == 400
    assert "allow_duplicate" in answer.json()["errors"]


def test_new_form_lists_likely_matches_and_saves_anyway(world: DupWorld) -> None:
    first = world.make("admin", "person", first_name="Maria", last_name="Lopez")
    client = world.client
    assert sign_in(client, TENANT, "admin@dup.test", "long enough secret").status_code == 303
    data = {"first_name": "Maria", "last_name": "Lopez"}
    asked = post_form(client, f"/t/{TENANT}/e/person", data)
    assert asked.status_code == 409
    assert f'href="/t/{TENANT}/e/person/{first["id"]}"' in asked.text
    assert 'name="_allow_duplicate"' in asked.text
    saved = post_form(
        client, f"/t/{TENANT}/e/person", {**data, "_allow_duplicate": "1"}, follow_redirects=False
    )
    assert saved.status_code == 303
    people = world.apis["admin"].get("person", params={"filter": 'first_name == "Maria"'})
    assert people.json()["count"] == 2  # the first one and the one saved anyway


def test_bulk_items_that_match_fail_alone(world: DupWorld) -> None:
    world.make("admin", "person", last_name="Bulkova", email="bulk@example.com")
    items = [
        {"last_name": "Fresh", "email": "fresh@example.com"},
        {"last_name": "Again", "email": "BULK@example.com"},
    ]
    answer = world.apis["admin"].post("person/bulk", json=items)
    assert answer.status_code == 200, answer.text
    results = answer.json()["items"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert "email" in results[1]["errors"]
