"""Role definitions changed at run time: ``GET``/``PUT /t/{t}/api/_roles``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from authz_support import ROLES, World, build_world
from litestar.testing import TestClient

from trellis.platform.runtime import Runtime

from helpers import PackageWriter


@pytest.fixture
def world(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> World:  # type: ignore[type-arg]
    return build_world(runtime, client, write_package)


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


def test_an_admin_reads_the_roles_and_widens_a_scope_that_takes_effect_at_once(
    world: World,
) -> None:
    rep = world.member("rep", ["rep"])
    other = world.member("other", ["rep"])
    world.make("rep", "deal", name="Mine")
    world.make("other", "deal", name="Theirs")
    assert _names(rep.get("deal")) == ["Mine"]

    shown = world.admin.get("_roles")
    assert shown.status_code == 200
    body = shown.json()
    assert body["source"] == ROLES
    assert body["roles"] == ["admin", "manager", "regional", "rep", "viewer"]
    version = body["version"]

    widened = ROLES.replace(
        "deal: {actions: [create, read, update, delete, export], scope: own}",
        "deal: {actions: [create, read, update, delete, export], scope: all}",
    )
    saved = world.admin.put("_roles", json={"source": widened, "version": version})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == version + 1
    assert saved.json()["source"] == widened
    assert _names(rep.get("deal")) == ["Mine", "Theirs"]
    assert other.get("account").status_code == 200

    audit = world.admin.get("_audit", params={"action": "roles.update"}).json()["items"]
    assert [(a["action"], a["actor"], a["target"]) for a in audit] == [
        ("roles.update", "admin@scope.test", f"version:{version + 1}")
    ]


def test_a_removed_action_is_refused_at_once(world: World) -> None:
    viewer = world.member("viewer", ["viewer"])
    assert viewer.get("deal").status_code == 200
    narrowed = ROLES.replace("      deal: {actions: [read], scope: all}\n", "")
    narrowed = narrowed.replace(
        "  viewer:\n    entities:\n", "  viewer:\n    entities:\n      account: {actions: [read]}\n"
    )
    saved = world.admin.put("_roles", json={"source": narrowed})
    assert saved.status_code == 200, saved.text
    assert viewer.get("deal").status_code == 403


def test_a_bad_roles_file_is_refused_with_positions_and_changes_nothing(world: World) -> None:
    rep = world.member("rep", ["rep"])
    before = world.admin.get("_roles").json()
    broken = ROLES.replace(
        "      deal: {actions: [read], scope: all}", "      dael: {actions: [read]}", 1
    )
    refused = world.admin.put("_roles", json={"source": broken})
    assert refused.status_code == 422
    (message,) = refused.json()["errors"]["source"]
    line = broken.splitlines().index("      dael: {actions: [read]}") + 1
    assert message.startswith(f"roles.yaml:{line}:7: error MD")
    assert "'dael'" in message and "did you mean 'deal'?" in message
    assert world.admin.get("_roles").json() == before
    assert rep.get("deal").status_code == 200

    not_yaml = world.admin.put("_roles", json={"source": "roles: [unclosed"})
    assert not_yaml.status_code == 422
    assert not_yaml.json()["errors"]["source"][0].startswith("roles.yaml:")
    assert world.admin.get("_roles").json() == before


def test_stale_versions_bad_bodies_and_non_admins_are_refused(world: World) -> None:
    rep = world.member("rep", ["rep"])
    version = world.admin.get("_roles").json()["version"]
    assert world.admin.put("_roles", json={"source": ROLES + "\n"}).status_code == 200
    stale = world.admin.put("_roles", json={"source": ROLES, "version": version})
    assert stale.status_code == 409
    assert "Reload" in stale.json()["errors"]["__all__"][0]
    assert stale.json()["current_version"] == version + 1

    empty = world.admin.put("_roles", json={"source": "  "})
    assert empty.status_code == 422 and "source" in empty.json()["errors"]
    extra = world.admin.put("_roles", json={"source": ROLES, "roels": 1})
    assert extra.status_code == 422 and "roels" in extra.json()["errors"]
    assert world.admin.put("_roles", content=b"").status_code == 400

    assert rep.get("_roles").status_code == 403
    assert rep.put("_roles", json={"source": ROLES}).status_code == 403


def test_concurrent_roles_put_with_same_version_one_wins(world: World) -> None:
    """Eight admins save different edits of one version at once: one 200, seven 409."""
    base = world.admin.get("_roles").json()["version"]
    edits = [f"{ROLES}\n# edit {i}\n" for i in range(8)]
    start = threading.Barrier(len(edits))
    answers: dict[int, Any] = {}

    def save(i: int) -> None:
        start.wait(timeout=30)
        answers[i] = world.admin.put("_roles", json={"source": edits[i], "version": base})

    threads = [threading.Thread(target=save, args=(i,)) for i in range(len(edits))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(a.status_code for a in answers.values())
    assert statuses == [200] + [409] * 7, [a.text for a in answers.values()]
    (winner,) = [i for i, a in answers.items() if a.status_code == 200]
    for i, answer in answers.items():
        if i != winner:
            assert answer.json()["current_version"] == base + 1
            assert "Reload" in answer.json()["errors"]["__all__"][0]
    shown = world.admin.get("_roles").json()
    assert shown["version"] == base + 1 and shown["source"] == edits[winner]
    audit = world.admin.get("_audit", params={"action": "roles.update"}).json()["items"]
    assert [a["target"] for a in audit] == [f"version:{base + 1}"]
