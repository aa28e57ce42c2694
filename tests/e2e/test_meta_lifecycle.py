"""The metadata lifecycle over HTTP: draft, plan, publish, history, diff, rollback (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.drafts import publish_lock
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter

TENANT = "meta"
ITEM = """
    label: Item
    title: name
    fields:
      name: {type: string, required: true, max_length: 100}
      fax: {type: string}
      size: {type: enum, options: [small, large]}
"""
ITEM_PATH = "_meta/draft/entities/item.yaml"


def _member(runtime: Runtime, client: TestClient, email: str, roles: list[str]) -> Api:  # type: ignore[type-arg]
    reg = runtime.registry
    reg.add_membership(TENANT, reg.ensure_user(email, "correct horse battery"), roles)
    return Api(client, TENANT, reg.create_token(TENANT, email))


@pytest.fixture
def admin(runtime: Runtime, client: TestClient, write_package: PackageWriter) -> Api:  # type: ignore[type-arg]
    """Tenant ``meta`` at version 1 (one entity ``item``) and its admin."""
    from trellis.platform.publish import publish

    runtime.registry.create_tenant(TENANT)
    publish(runtime, TENANT, write_package({"item": ITEM}))
    return _member(runtime, client, "admin@meta.test", ["admin"])


def _text(api: Api) -> tuple[str, str]:
    read = api.get(ITEM_PATH)
    assert read.status_code == 200, read.text
    assert read.headers["content-type"].startswith("text/plain")
    return read.text, read.headers["etag"]


def _save(api: Api, text: str, etag: str, path: str = ITEM_PATH) -> Any:
    headers = {"If-Match": etag, "Content-Type": "text/plain"}
    return api.put(path, content=text.encode(), headers=headers)


def _publish(api: Api, **body: Any) -> Any:
    return api.post("_meta/draft/publish", json=body)


def test_an_admin_edits_the_draft_sees_the_plan_publishes_and_reads_the_history(
    admin: Api,
) -> None:
    text, etag = _text(admin)
    assert etag == '"0"'
    saved = _save(admin, text + "  code: {type: string, max_length: 20}\n", etag)
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"path": "entities/item.yaml", "draft_version": 1}
    assert saved.headers["etag"] == '"1"'
    assert admin.get("_meta/draft").json()["files"][0]["updated_by"] == "admin@meta.test"

    plan = admin.get("_meta/draft/plan").json()
    assert plan["valid"] is True and plan["needs_confirmation"] is False
    assert any("ADD COLUMN code VARCHAR(20)" in sql for sql in plan["ddl"]), plan["ddl"]
    assert plan["diff"]["metadata"]["fields_added"] == {"item": ["code"]}
    assert plan["diff"]["files"]["changed"][0]["path"] == "entities/item.yaml"
    assert admin.get("item").json()["items"] == []  # nothing applied by a plan
    assert admin.post("item", json={"name": "A", "code": "x"}).status_code == 422

    published = _publish(admin, comment="Add a code")
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 2
    assert admin.post("item", json={"name": "A", "code": "x"}).status_code == 201
    assert admin.get("_meta/draft").json()["files"] == []

    versions = admin.get("_meta/versions").json()
    assert versions["current_version"] == 2
    latest, first = versions["items"]
    assert (latest["version"], latest["author"], latest["comment"], latest["kind"]) == (
        2,
        "admin@meta.test",
        "Add a code",
        "publish",
    )
    assert latest["published_at"] and first["version"] == 1 and first["kind"] == "package"
    diff = admin.get("_meta/versions/1/diff/2").json()
    assert diff["metadata"]["fields_added"] == {"item": ["code"]}
    assert "+  code: {type: string, max_length: 20}" in diff["files"]["changed"][0]["diff"]
    assert admin.get("_meta/versions/1/diff/9").status_code == 404

    (entry,) = admin.get("_audit", params={"action": "metadata.draft_publish"}).json()["items"]
    assert entry["target"] == "version:2" and entry["actor"] == "admin@meta.test"
    assert entry["detail"]["diff"]["metadata"]["fields_added"] == {"item": ["code"]}
    assert entry["detail"]["plan"]["ddl"] == plan["ddl"]


def test_a_second_admin_saving_an_old_draft_version_gets_409_and_nothing_is_lost(
    runtime: Runtime,
    admin: Api,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    other = _member(runtime, client, "second@meta.test", ["admin"])
    text, etag = _text(admin)
    _, other_etag = _text(other)
    first = text + "  code: {type: string}\n"
    assert _save(admin, first, etag).status_code == 200

    refused = _save(other, text + "  size: {type: integer}\n", other_etag)
    assert refused.status_code == 409
    body = refused.json()
    assert body["draft_version"] == 1 and body["updated_by"] == "admin@meta.test"
    assert "Reload" in body["errors"]["__all__"][0]
    assert _text(other) == (first, '"1"')

    missing = other.put(ITEM_PATH, content=b"x: 1\n", headers={"Content-Type": "text/plain"})
    assert missing.status_code == 400 and "If-Match" in missing.json()["errors"]
    escaping = _save(other, "x", '"1"', "_meta/draft/entities/%2E%2E/%2E%2E/x.yaml")
    assert escaping.status_code == 400, escaping.text
    assert _save(other, "x", '"1"', "_meta/draft/entities/item.exe").status_code == 400

    deleted = other.delete(ITEM_PATH, headers={"If-Match": '"0"'})
    assert deleted.status_code == 409
    deleted = other.delete(ITEM_PATH, headers={"If-Match": '"1"'})
    assert deleted.status_code == 200 and deleted.json()["draft_version"] == 2
    assert other.get(ITEM_PATH).status_code == 404


def test_an_invalid_draft_answers_positioned_errors_and_cannot_be_published(admin: Api) -> None:
    text, etag = _text(admin)
    assert _save(admin, text.replace("type: string}", "type: strng}"), etag).status_code == 200

    plan = admin.get("_meta/draft/plan").json()
    assert plan["valid"] is False
    (error,) = plan["errors"]
    assert error["file"] == "entities/item.yaml" and error["line"] == 5
    assert error["text"].startswith("entities/item.yaml:5:")
    assert f"error {error['code']}: " in error["text"] and error["code"].startswith("MD")

    refused = _publish(admin, comment="broken")
    assert refused.status_code == 422
    assert refused.json()["errors"]["draft"] == [error["text"]]
    assert admin.get("_meta/versions").json()["current_version"] == 1
    assert admin.post("_meta/draft/publish", content=b"{}").status_code == 415


def test_a_publish_while_another_runs_is_refused_naming_the_holder(
    runtime: Runtime, admin: Api
) -> None:
    text, etag = _text(admin)
    _save(admin, text + "  code: {type: string}\n", etag)
    info = runtime.registry.get_tenant(TENANT)
    assert info is not None
    with publish_lock(runtime.registry, info.id, "busy@meta.test", "publish"):
        refused = _publish(admin, comment="second")
        assert refused.status_code == 409
        assert refused.json()["locked_by"] == "busy@meta.test"
        assert "busy@meta.test is publishing" in refused.json()["errors"]["__all__"][0]
        assert admin.post("_meta/rollback", json={"version": 1}).status_code == 409
    assert _publish(admin, comment="now").json()["version"] == 2


def test_dropping_a_field_needs_confirmation_and_a_rollback_brings_its_values_back(
    admin: Api,
) -> None:
    for n in range(3):
        assert admin.post("item", json={"name": f"i{n}", "fax": f"+1 555 {n}"}).status_code == 201
    text, etag = _text(admin)
    _save(admin, text.replace("  fax: {type: string}\n", ""), etag)

    plan = admin.get("_meta/draft/plan").json()
    assert plan["needs_confirmation"] is True
    assert [c["text"] for c in plan["destructive"]] == ["drops `fax` of item: 3 non-empty values"]
    refused = _publish(admin, comment="no fax")
    assert refused.status_code == 409
    assert refused.json()["destructive"] == ["drops `fax` of item: 3 non-empty values"]
    assert admin.get("_meta/versions").json()["current_version"] == 1

    done = _publish(admin, comment="no fax", confirm_destructive=True)
    assert done.status_code == 200, done.text
    assert done.json()["version"] == 2
    (row, *_) = admin.get("item", params={"sort": "name"}).json()["items"]
    assert "fax" not in row

    shown = admin.post("_meta/rollback", json={"version": 1, "dry_run": True}).json()
    assert shown["version"] is None
    assert [c["text"] for c in shown["restored"]] == [
        "restores `fax` of item: 3 archived values come back"
    ]
    back = admin.post("_meta/rollback", json={"version": 1})
    assert back.status_code == 200, back.text
    assert back.json()["version"] == 3
    (row, *_) = admin.get("item", params={"sort": "name"}).json()["items"]
    assert row["fax"] == "+1 555 0"

    archived = admin.post("_meta/rollback", json={"version": 2})  # no confirmation needed
    assert archived.status_code == 200, archived.text
    assert [c["text"] for c in archived.json()["plan"]["archived"]] == [
        "archives `fax` of item: 3 values kept, hidden until restored"
    ]
    kinds = [v["kind"] for v in admin.get("_meta/versions").json()["items"]]
    assert kinds == ["rollback", "rollback", "publish", "package"]
    audit = admin.get("_audit", params={"action": "metadata.rollback"}).json()["items"]
    assert [a["detail"]["rollback_to"] for a in audit] == [2, 1]
    assert audit[1]["detail"]["plan"]["restored"][0]["count"] == 3
    assert admin.post("_meta/rollback", json={"version": 99}).status_code == 404


def test_the_plan_counts_narrowed_lengths_removed_options_and_newly_required_fields(
    admin: Api,
) -> None:
    rows = [("short", "small", "+1"), ("a longer name", "large", None), ("longer", None, None)]
    for name, size, fax in rows:
        assert admin.post("item", json={"name": name, "size": size, "fax": fax}).status_code == 201
    text, etag = _text(admin)
    changed = (
        text.replace("max_length: 100", "max_length: 5")
        .replace("options: [small, large]", "options: [small]")
        .replace("fax: {type: string}", "fax: {type: string, required: true}")
    )
    _save(admin, changed, etag)
    plan = admin.get("_meta/draft/plan").json()
    assert [c["text"] for c in plan["destructive"]] == [
        "requires `fax` of item: 2 live rows with it empty",
        "narrows `name` of item to 5 characters: 2 longer values",
        "removes options large of `size` of item: used by 1 row",
    ]
    refused = _publish(admin)
    assert refused.status_code == 409 and len(refused.json()["destructive"]) == 3


def test_renamed_from_renames_the_column_in_place_and_keeps_the_values(admin: Api) -> None:
    assert admin.post("item", json={"name": "a", "fax": "+1 555 1"}).status_code == 201
    text, etag = _text(admin)
    onto = text.replace("  fax: {type: string}", "  name2: {type: string, renamed_from: name}")
    assert _save(admin, onto, etag).status_code == 200
    (error,) = admin.get("_meta/draft/plan").json()["errors"]
    assert error["code"] == "MD027" and error["text"].startswith("entities/item.yaml:5:")

    renamed = text.replace("  fax: {type: string}", "  telefax: {type: string, renamed_from: fax}")
    assert _save(admin, renamed, '"1"').status_code == 200
    plan = admin.get("_meta/draft/plan").json()
    assert [c["text"] for c in plan["renamed"]] == [
        "renames `fax` of item to `telefax`: 1 value kept"
    ]
    assert plan["destructive"] == [] and plan["needs_confirmation"] is False
    assert any("RENAME" in sql.upper() and "telefax" in sql for sql in plan["ddl"]), plan["ddl"]
    assert _publish(admin, comment="rename").status_code == 200
    (row,) = admin.get("item").json()["items"]
    assert row["telefax"] == "+1 555 1" and "fax" not in row
    versions = admin.get("_meta/versions").json()["items"]
    assert versions[0]["version"] == 2


def test_a_member_who_is_not_an_admin_gets_403_on_every_meta_endpoint(
    runtime: Runtime,
    admin: Api,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    member = _member(runtime, client, "member@meta.test", [])
    calls = [
        member.get("_meta/draft"),
        member.get(ITEM_PATH),
        _save(member, "x", '"0"'),
        member.delete(ITEM_PATH, headers={"If-Match": '"0"'}),
        member.get("_meta/draft/plan"),
        _publish(member, comment="x"),
        member.get("_meta/versions"),
        member.get("_meta/versions/1/diff/1"),
        member.post("_meta/rollback", json={"version": 1}),
    ]
    assert [c.status_code for c in calls] == [403] * len(calls)
    assert admin.get("_meta/draft").json()["files"] == []


def test_cli_publish_refuses_a_destructive_package_unless_allowed(
    runtime: Runtime,
    admin: Api,
    write_package: PackageWriter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from trellis.cli import main

    config = runtime.config
    monkeypatch.setenv("TRELLIS_DATA_DIR", str(config.data_dir))
    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    assert admin.post("item", json={"name": "kept", "fax": "+1 555 7"}).status_code == 201
    narrower = write_package({"item": ITEM.replace("      fax: {type: string}\n", "")})

    assert main(["publish", TENANT, str(narrower)]) == 1
    err = capsys.readouterr().err
    assert "drops `fax` of item: 1 non-empty value" in err and "--allow-destructive" in err
    assert admin.get("_meta/versions").json()["current_version"] == 1

    assert main(["publish", TENANT, str(narrower), "--allow-destructive"]) == 0
    assert "Published as version 2." in capsys.readouterr().out
    assert main(["publish", TENANT, str(write_package({"item": ITEM}))]) == 0
    assert "data: restores `fax` of item: 1 archived value comes back" in capsys.readouterr().out
    assert admin.get("item").json()["items"][0]["fax"] == "+1 555 7"
