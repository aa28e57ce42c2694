"""In-app notifications: assignment, rule notify, mentions; the caller's inbox API."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.platform import notifications
from trellis.platform.notifications import NotificationError, notify_mention
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import Api

DEAL = """label: Deal
title: name
fields:
  name: {type: string, required: true}
  amount: {type: integer}
"""
RULES = """
rule "Big deal"
  on deal created
  when amount >= 1000
  then notify owner "Big deal {{ name }}"
end
"""


def _tenant(runtime: Runtime, tmp_path: Path, client: TestClient) -> tuple[Api, Api, int, int]:  # type: ignore[type-arg]
    root = tmp_path / "pkg"
    (root / "entities").mkdir(parents=True)
    (root / "rules").mkdir()
    (root / "app.yaml").write_text("name: notes\nversion: 1.0.0\nlabel: Notes\n")
    (root / "entities" / "deal.yaml").write_text(DEAL)
    (root / "rules" / "deal.rules").write_text(RULES)
    runtime.registry.create_tenant("notes")
    publish(runtime, "notes", root)
    admin = runtime.registry.ensure_user("admin@notes.test", "correct horse battery")
    runtime.registry.add_membership("notes", admin, ["admin"])
    rep = runtime.registry.ensure_user("rep@notes.test", "correct horse battery")
    runtime.registry.add_membership("notes", rep, [])
    return (
        Api(client, "notes", runtime.registry.create_token("notes", "admin@notes.test")),
        Api(client, "notes", runtime.registry.create_token("notes", "rep@notes.test")),
        admin,
        rep,
    )


def test_assignment_and_rule_notify_reach_the_inbox(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    admin_api, rep_api, admin, rep = _tenant(runtime, tmp_path, client)
    # Created by the admin for themselves: the rule notifies the owner, no assignment.
    created = admin_api.post("deal", json={"name": "Mine", "amount": 5000})
    assert created.status_code == 201
    inbox = admin_api.get("_notifications").json()
    assert [(n["kind"], n["text"]) for n in inbox["items"]] == [("rule", "Big deal Mine")]
    assert inbox["unread"] == 1
    # Assigning to the rep (API) notifies the rep, once.
    deal_id = created.json()["id"]
    assert admin_api.patch(f"deal/{deal_id}", json={"owner_id": rep}).status_code == 200
    assert admin_api.patch(f"deal/{deal_id}", json={"name": "Mine 2"}).status_code == 200
    rep_inbox = rep_api.get("_notifications?unread=true").json()
    assert rep_inbox["count"] == 1
    note = rep_inbox["items"][0]
    assert (note["kind"], note["text"], note["entity"], note["record_id"]) == (
        "assignment",
        "Assigned to you: Deal Mine",
        "deal",
        deal_id,
    )
    assert (note["actor_id"], note["read"]) == (admin, False)
    # A record created with another owner is an assignment too.
    other = admin_api.post("deal", json={"name": "Small", "amount": 1, "owner_id": rep})
    assert other.status_code == 201
    assert notifications.unread_count(runtime, "notes", rep) == 2
    # The rep cannot read the admin's notification; the admin's inbox is unchanged.
    admin_note = inbox["items"][0]["id"]
    assert rep_api.post(f"_notifications/{admin_note}/read").status_code == 404
    assert rep_api.post("_notifications/abc/read").status_code == 404
    answer = rep_api.post(f"_notifications/{note['id']}/read")
    assert answer.status_code == 200
    assert answer.json() == {"id": note["id"], "read": True, "unread": 1}
    listed = notifications.list_for_user(runtime, "notes", rep, unread=True)
    assert [n["text"] for n in listed] == ["Assigned to you: Deal Small"]
    assert rep_api.post("_notifications/read-all").json() == {"marked": 1, "unread": 0}
    everything = rep_api.get("_notifications").json()
    assert everything["unread"] == 0
    assert [n["read"] for n in everything["items"]] == [True, True]
    assert admin_api.get("_notifications").json()["unread"] == 1
    # Paging and bad parameters.
    newest = everything["items"][0]["id"]
    older = rep_api.get(f"_notifications?before={newest}").json()["items"]
    assert [n["id"] for n in older] == [everything["items"][1]["id"]]
    assert rep_api.get("_notifications?unread=maybe").status_code == 400
    assert rep_api.get("_notifications?limit=501").status_code == 400
    assert rep_api.get("_notifications?before=x").status_code == 400


def test_mentions(
    runtime: Runtime,
    client: TestClient,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    admin_api, rep_api, admin, rep = _tenant(runtime, tmp_path, client)
    deal_id = admin_api.post("deal", json={"name": "Talk", "amount": 1}).json()["id"]
    note_id = notify_mention(runtime, "notes", admin, rep, "deal", deal_id, "@rep look at this")
    assert isinstance(note_id, int)
    items = rep_api.get("_notifications").json()["items"]
    assert [(n["kind"], n["text"], n["actor_id"]) for n in items] == [
        ("mention", "@rep look at this", admin)
    ]
    assert notify_mention(runtime, "notes", rep, rep, "deal", deal_id, "me") is None
    with pytest.raises(NotificationError, match="Entity 'ghost' is unknown"):
        notify_mention(runtime, "notes", admin, rep, "ghost", deal_id, "x")
    with pytest.raises(NotificationError, match="No deal with id 999"):
        notify_mention(runtime, "notes", admin, rep, "deal", 999, "x")
    with pytest.raises(NotificationError, match="User 424242 is not a member"):
        notify_mention(runtime, "notes", admin, 424242, "deal", deal_id, "x")
    with pytest.raises(NotificationError, match="Limit 0 is not valid"):
        notifications.list_for_user(runtime, "notes", rep, limit=0)
