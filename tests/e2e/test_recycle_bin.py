"""The recycle bin end to end on SQLite and PostgreSQL: list, restore with cascade, purge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from trellis.platform.jobs import Dispatcher

from recycle_support import TENANT, BinWorld, build_bin_world
from ui_support import post_form, sign_in


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BinWorld]:
    yield from build_bin_world(request.param, tmp_path_factory.mktemp(request.param))


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_delete_lists_and_restore_brings_the_cascade_back(world: BinWorld) -> None:
    admin = world.apis["admin"]
    project = world.make("admin", "project", name="Apollo", code="AP-1", secret="s")
    pid = project["id"]
    tasks = [world.make("admin", "task", title=f"T{i}", project=pid)["id"] for i in range(2)]
    note = world.make("admin", "note", text="remember", task=tasks[0])["id"]
    assert admin.get(f"project/{pid}").json()["tasks"] == 2
    world.clock.advance(60)

    assert admin.delete(f"project/{pid}").status_code == 204
    assert admin.get(f"task/{tasks[0]}").status_code == 404
    assert admin.get(f"note/{note}").status_code == 404
    assert pid in _ids(admin.get("project/_deleted"))
    assert set(tasks) <= set(_ids(admin.get("task/_deleted")))
    assert note in _ids(admin.get("note/_deleted"))

    restored = admin.post(f"project/{pid}/_restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["deleted_at"] is None
    assert restored.json()["tasks"] == 2  # the rollup recomputed with its children back
    assert admin.get(f"task/{tasks[1]}").status_code == 200
    assert admin.get(f"note/{note}").status_code == 200
    assert pid not in _ids(admin.get("project/_deleted"))
    assert admin.post(f"project/{pid}/_restore").status_code == 404  # live: nothing to restore


def test_who_may_see_and_restore(world: BinWorld) -> None:
    rep, rep2 = world.apis["rep"], world.apis["rep2"]
    mine = world.make("rep", "project", name="Mine")["id"]
    assert world.apis["admin"].patch(f"project/{mine}", json={"secret": "x"}).status_code == 200
    theirs = world.make("rep2", "project", name="Theirs")["id"]
    assert rep.delete(f"project/{mine}").status_code == 204
    assert rep2.delete(f"project/{theirs}").status_code == 204

    listed = rep.get("project/_deleted")
    assert _ids(listed) == [mine]  # own scope: another owner's deleted record is not shown
    assert "secret" not in listed.json()["items"][0]  # hidden from the rep's role
    assert rep.post(f"project/{theirs}/_restore").status_code == 404

    viewer = world.apis["viewer"]
    assert viewer.get("project/_deleted").status_code == 403  # no delete action
    assert viewer.post(f"project/{mine}/_restore").status_code == 403
    outsider = world.apis["outsider"]
    assert _ids(outsider.get("project/_deleted")) == []  # another tenant's bin is its own
    assert outsider.post(f"project/{mine}/_restore").status_code == 404

    assert rep.post(f"project/{mine}/_restore").status_code == 200
    assert rep.get(f"project/{mine}").status_code == 200


def test_restore_refused_with_nothing_changed(world: BinWorld) -> None:
    admin = world.apis["admin"]
    old = world.make("admin", "project", name="Old", code="DUP-1")["id"]
    assert admin.delete(f"project/{old}").status_code == 204
    world.make("admin", "project", name="New", code="DUP-1")
    clash = admin.post(f"project/{old}/_restore")
    assert clash.status_code == 422
    assert "code" in clash.json()["errors"]  # the unique value is taken meanwhile
    assert old in _ids(admin.get("project/_deleted"))

    parent = world.make("admin", "project", name="Parent")["id"]
    task = world.make("admin", "task", title="Orphan", project=parent)["id"]
    assert admin.delete(f"task/{task}").status_code == 204
    assert admin.delete(f"project/{parent}").status_code == 204
    assert admin.delete(f"project/_deleted/{parent}").status_code == 204  # purged
    orphan = admin.post(f"task/{task}/_restore")
    assert orphan.status_code == 422
    assert "project" in orphan.json()["errors"]  # points at a purged parent
    assert task in _ids(admin.get("task/_deleted"))


def test_purge_needs_its_own_permission_and_is_audited(world: BinWorld) -> None:
    admin, janitor, rep = world.apis["admin"], world.apis["janitor"], world.apis["rep"]
    pid = world.make("rep", "project", name="Doomed")["id"]
    task = world.make("rep", "task", title="Along", project=pid)["id"]
    assert rep.delete(f"project/{pid}").status_code == 204
    assert rep.delete(f"project/_deleted/{pid}").status_code == 403  # delete is not purge
    assert janitor.delete(f"project/_deleted/{pid}").status_code == 204
    assert pid not in _ids(admin.get("project/_deleted"))
    assert task not in _ids(admin.get("task/_deleted"))  # what cascade took went too
    assert admin.post(f"project/{pid}/_restore").status_code == 404
    assert admin.get(f"project/{pid}/_history").status_code == 404
    assert janitor.delete(f"project/_deleted/{pid}").status_code == 404
    entries = admin.get("_audit", params={"action": "record.purge"}).json()["items"]
    mine = [e for e in entries if e["target"] == f"project:{pid}"]
    assert mine and mine[0]["actor_user_id"] == world.ids["janitor"]
    assert mine[0]["detail"]["taken"] == [f"task:{task}"]


def test_retention_job_purges_after_the_period(world: BinWorld) -> None:
    admin = world.apis["admin"]
    pid = world.make("admin", "project", name="Old news")["id"]
    assert admin.delete(f"project/{pid}").status_code == 204
    dispatcher = Dispatcher(world.runtime)
    dispatcher.run_tenants([TENANT])
    assert pid in _ids(admin.get("project/_deleted"))  # inside the 30 days: kept
    world.clock.advance(timedelta(days=29).total_seconds())
    dispatcher.run_tenants([TENANT])
    assert pid in _ids(admin.get("project/_deleted"))
    world.clock.advance(timedelta(days=2).total_seconds())
    dispatcher.run_tenants([TENANT])
    assert pid not in _ids(admin.get("project/_deleted"))
    table = world.runtime.app_runtime(TENANT).app.table("project")
    with world.runtime.engines.tenant_connection(TENANT) as conn:
        assert conn.execute(sa.select(table.c.id).where(table.c.id == pid)).first() is None


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("project/_deleted?cursor=not-a-cursor", "cursor"),
        ("project/_deleted?limit=0", "limit"),
        ("project/_deleted?sort=name", "sort"),
    ],
)
def test_bad_bin_requests_are_400(world: BinWorld, path: str, field: str) -> None:
    response = world.apis["admin"].get(path)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_recycle_bin_screen_restores_and_explains_refusals(world: BinWorld) -> None:
    admin = world.apis["admin"]
    kept = world.make("admin", "project", name="Screen kept", code="SCR-1")["id"]
    clash = world.make("admin", "project", name="Screen clash", code="SCR-2")["id"]
    assert admin.delete(f"project/{kept}").status_code == 204
    assert admin.delete(f"project/{clash}").status_code == 204
    world.make("admin", "project", name="Taker", code="SCR-2")
    web = world.client  # the API calls carry their tokens; the screens use the session
    assert sign_in(web, TENANT, "admin@bin.test", world.password).status_code == 303
    assert "/t/bin/e/project/deleted" in web.get("/t/bin/e/project").text
    page = web.get("/t/bin/e/project/deleted")
    assert page.status_code == 200
    assert "Screen kept" in page.text and f'id="deleted-{kept}"' in page.text
    done = post_form(web, f"/t/bin/e/project/{kept}/restore", {}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/t/bin/e/project/{kept}"
    assert admin.get(f"project/{kept}").status_code == 200
    refused = post_form(web, f"/t/bin/e/project/{clash}/restore", {})
    assert refused.status_code == 200
    assert "was not restored" in refused.text and "code:" in refused.text
    assert admin.get(f"project/{clash}").status_code == 404
    saved = post_form(web, f"/t/bin/e/project/{kept}", {"name": "Edited on screen"})
    assert saved.status_code == 200, saved.text
    items = admin.get(f"project/{kept}/_history").json()["items"]
    assert items[0]["source"] == "form" and items[1]["source"] == "restore"


def test_restore_refused_when_a_record_deleted_with_it_cannot_come_back(world: BinWorld) -> None:
    admin = world.apis["admin"]
    pid = world.make("admin", "project", name="Carrier")["id"]
    task = world.make("admin", "task", title="Unique", project=pid, ref="REF-1")["id"]
    assert admin.delete(f"project/{pid}").status_code == 204
    world.make("admin", "task", title="Usurper", ref="REF-1")
    refused = admin.post(f"project/{pid}/_restore")
    assert refused.status_code == 409
    assert f"task {task}" in refused.json()["errors"]["__all__"][0]
    assert pid in _ids(admin.get("project/_deleted"))  # nothing changed
    assert task in _ids(admin.get("task/_deleted"))


def test_deleted_records_history_follows_the_bin_rule(world: BinWorld) -> None:
    admin = world.apis["admin"]
    pid = world.make("admin", "project", name="Gone")["id"]
    assert admin.delete(f"project/{pid}").status_code == 204
    assert world.apis["janitor"].get(f"project/{pid}/_history").status_code == 200
    assert world.apis["viewer"].get(f"project/{pid}/_history").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "project/abc/_restore"),
        ("post", "project/999999/_restore"),
        ("delete", "project/_deleted/abc"),
        ("delete", "project/_deleted/999999"),
        ("post", "nosuch/1/_restore"),
    ],
)
def test_bad_restore_and_purge_targets(world: BinWorld, method: str, path: str) -> None:
    response = getattr(world.apis["admin"], method)(path)
    assert response.status_code in (400, 404)
    assert "errors" in response.json()


def test_purging_a_live_record_is_404(world: BinWorld) -> None:
    pid = world.make("admin", "project", name="Alive")["id"]
    assert world.apis["admin"].delete(f"project/_deleted/{pid}").status_code == 404
    assert world.apis["admin"].get(f"project/{pid}").status_code == 200
