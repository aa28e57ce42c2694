"""Merging duplicates end to end on SQLite and PostgreSQL: references move, undo, bad input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dedup_support import TENANT, DupWorld, build_dup_world
from ui_support import post_form, sign_in


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DupWorld]:
    yield from build_dup_world(request.param, tmp_path_factory.mktemp(request.param))


def _pair(world: DupWorld, who: str = "admin") -> tuple[int, int]:
    keep = world.make(who, "person", first_name="Luis", last_name="Gomez", labels=["vip"])
    lose = world.make(
        who, "person", first_name="Luis", last_name="Gómez", city="Lyon", labels=["vip", "new"]
    )
    return keep["id"], lose["id"]


def test_merge_moves_every_reference_unites_tags_and_can_be_undone(world: DupWorld) -> None:
    admin = world.apis["admin"]
    keep, lose = _pair(world)
    case = world.make("admin", "case", subject="Broken", person=lose)["id"]
    gathering = world.make("admin", "gathering", topic="Kickoff", people=[keep, lose])["id"]
    memo = world.make("admin", "memo", body="Call back", about={"entity": "person", "id": lose})
    world.clock.advance(60)

    body = {"survivor": keep, "losers": [lose], "fields": {"city": lose}}
    merged = admin.post("person/_merge", json=body)
    assert merged.status_code == 200, merged.text
    answer = merged.json()
    assert answer["survivor"]["city"] == "Lyon"
    assert answer["survivor"]["labels"] == ["vip", "new"]
    assert answer["losers"] == [{"id": lose, "merged_into": keep}]
    assert answer["moved"] == 3
    assert admin.get(f"case/{case}").json()["person"] == keep
    assert admin.get(f"gathering/{gathering}").json()["people"] == [keep]
    assert admin.get(f"memo/{memo['id']}").json()["about"] == {"entity": "person", "id": keep}
    assert admin.get(f"person/{lose}").status_code == 404
    deleted = {item["id"]: item for item in admin.get("person/_deleted").json()["items"]}
    assert deleted[lose]["merged_into"] == keep
    history = admin.get(f"case/{case}/_history").json()["items"]
    assert history[0]["source"] == "merge"
    assert history[0]["changes"]["person"] == [lose, keep]
    merge_id = answer["merge_id"]
    assert admin.get(f"person/_merge/{merge_id}").json()["losers"] == [lose]

    undone = admin.post(f"person/_merge/{merge_id}/_undo")
    assert undone.status_code == 200, undone.text
    assert admin.get(f"person/{lose}").json()["city"] == "Lyon"
    restored = admin.get(f"person/{keep}").json()
    assert restored["city"] is None
    assert restored["labels"] == ["vip"]
    assert admin.get(f"case/{case}").json()["person"] == lose
    assert admin.get(f"gathering/{gathering}").json()["people"] == sorted([keep, lose])
    assert admin.get(f"memo/{memo['id']}").json()["about"] == {"entity": "person", "id": lose}
    again = admin.post(f"person/_merge/{merge_id}/_undo")
    assert again.status_code == 409
    admin.delete(f"person/{lose}")
    plain = {item["id"]: item for item in admin.get("person/_deleted").json()["items"]}
    assert plain[lose]["merged_into"] is None  # the undo forgot the merge


def test_undo_after_purge_is_refused(world: DupWorld) -> None:
    admin = world.apis["admin"]
    keep, lose = _pair(world)
    merge_id = admin.post("person/_merge", json={"survivor": keep, "losers": [lose]}).json()[
        "merge_id"
    ]
    assert admin.delete(f"person/_deleted/{lose}").status_code == 204
    answer = admin.post(f"person/_merge/{merge_id}/_undo")
    assert answer.status_code == 409
    assert "recycle bin" in answer.text
    assert admin.get(f"person/{keep}").status_code == 200


def _unchanged(world: DupWorld, ids: list[int]) -> None:
    admin = world.apis["admin"]
    for ident in ids:
        assert admin.get(f"person/{ident}").status_code == 200


Body = Callable[[int, int], dict[str, Any]]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (lambda k, _x: {"survivor": k, "losers": [k]}, 400),
        (lambda k, _x: {"survivor": k, "losers": []}, 400),
        (lambda k, x: {"survivor": k, "losers": [{"entity": "case", "id": x}]}, 400),
        (lambda k, x: {"survivor": k, "losers": [x], "fields": {"citty": x}}, 422),
        (lambda k, x: {"survivor": k, "losers": [x], "fields": {"city": 999999}}, 422),
        (lambda k, x: {"survivor": k, "losers": [x], "extra": 1}, 400),
        (lambda k, x: {"survivor": k, "losers": [x, 999999]}, 404),
        (lambda k, _x: {"survivor": k, "losers": [2**63]}, 400),
    ],
    ids=[
        "survivor-among-losers",
        "no-losers",
        "other-entity",
        "unknown-field",
        "winner-not-merged",
        "unknown-key",
        "loser-not-found",
        "id-too-large",
    ],
)
def test_bad_merges_change_nothing(world: DupWorld, body: Body, status: int) -> None:
    keep, lose = _pair(world)
    answer = world.apis["admin"].post("person/_merge", json=body(keep, lose))
    assert answer.status_code == status, answer.text
    _unchanged(world, [keep, lose])


def test_merge_across_entities_and_tenants_is_refused(world: DupWorld) -> None:
    admin = world.apis["admin"]
    keep, lose = _pair(world)
    case = world.make("admin", "case", subject="Not a person")["id"]
    across = admin.post("person/_merge", json={"survivor": keep, "losers": [case + 100000]})
    assert across.status_code == 404
    missing = {"survivor": case, "losers": [case + 100000]}
    assert admin.post("case/_merge", json=missing).status_code == 404
    outsider = world.apis["outsider"]
    assert (
        outsider.post("person/_merge", json={"survivor": keep, "losers": [lose]}).status_code == 404
    )
    _unchanged(world, [keep, lose])
    assert admin.get(f"case/{case}").status_code == 200


def test_merge_needs_update_and_delete_within_scope(world: DupWorld) -> None:
    keep, lose = _pair(world)
    editor = world.apis["editor"]
    assert (
        editor.post("person/_merge", json={"survivor": keep, "losers": [lose]}).status_code == 403
    )
    own, _ = _pair(world, "rep")
    rep = world.apis["rep"]
    assert rep.post("person/_merge", json={"survivor": own, "losers": [lose]}).status_code == 404
    _unchanged(world, [keep, lose, own])


def test_merge_screen_picks_a_winner_per_field(world: DupWorld) -> None:
    keep, lose = _pair(world)
    client = world.client
    assert sign_in(client, TENANT, "admin@dup.test", "long enough secret").status_code == 303
    detail = client.get(f"/t/{TENANT}/e/person/{keep}")
    assert f'href="/t/{TENANT}/e/person/{keep}/merge"' in detail.text
    screen = client.get(f"/t/{TENANT}/e/person/{keep}/merge", params={"with": f"{lose}, 999999"})
    assert screen.status_code == 200
    assert f'name="f_city" value="{lose}"' in screen.text
    assert "999999" in screen.text  # reported as not found
    url = f"/t/{TENANT}/e/person/{keep}/merge"
    done = post_form(
        client, url, {"losers": str(lose), "f_city": str(lose)}, follow_redirects=False
    )
    assert done.status_code == 303
    admin = world.apis["admin"]
    assert admin.get(f"person/{keep}").json()["city"] == "Lyon"
    assert admin.get(f"person/{lose}").status_code == 404
    bin_page = client.get(f"/t/{TENANT}/e/person/deleted")
    row = bin_page.text.split(f'id="deleted-{lose}"', 1)[1].split("</tr>", 1)[0]
    assert f'href="/t/{TENANT}/e/person/{keep}">Person #{keep}</a>' in row
    spanish = client.get(f"/t/{TENANT}/e/person/deleted", headers={"Accept-Language": "es"})
    assert "Fusionado en" in spanish.text
