"""Cross-installation restore maps user ids by e-mail (issue 17, item 10): a SQLite
backup restored into PostgreSQL, where the same people have other ids, points owners,
authors, user fields, history, the JSON trails and the audit at the target's accounts;
former members the data refers to keep their place without becoming members."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trellis.cli import main
from trellis.platform.backup.manifest import USERS_ENTRY
from trellis.platform.backup.restore import restore_backup
from trellis.platform.backup.writer import write_backup
from trellis.platform.db.business_tables import MERGES_TABLE
from trellis.platform.db.tables import APPROVALS_TABLE, RULE_RUNS_TABLE
from trellis.platform.db.view_tables import COMMENTS_TABLE
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from backup_support import (
    SECRET,
    call_as,
    cli_env,
    entry_rows,
    package_with_roles,
    rewrite_archive,
    table_rows,
    two_installations,
)
from helpers import PackageWriter

THING = "fields:\n  name: {type: string}\n  reviewer: {type: user}\n"
DIRECTIONS = ["sqlite->postgres", "postgres->sqlite"]
ROLES = "roles:\n  rep:\n    entities:\n      thing: {actions: [create, read, update]}\n"


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    with two_installations(tmp_path) as pair:
        yield pair


def _acme(runtime: Runtime, write_package: PackageWriter) -> tuple[int, int]:
    """Tenant ``acme`` with the thing package, an admin (boss) and a rep (ana)."""
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", package_with_roles(write_package, {"thing": THING}, ROLES))
    boss = reg.ensure_user("boss@acme.test", SECRET)
    reg.add_membership("acme", boss, ["admin"])
    ana = reg.ensure_user("ana@acme.test", SECRET)
    reg.add_membership("acme", ana, ["rep"])
    return boss, ana


def _leave(runtime: Runtime, tenant: str, user: int) -> None:
    """``user`` leaves ``tenant``: the membership row goes, the account stays."""
    reg = runtime.registry
    info = reg.get_tenant(tenant)
    assert info is not None
    m = reg.memberships
    with reg.connect(write=True) as conn, conn.begin():
        conn.execute(m.delete().where(m.c.tenant_id == info.id, m.c.user_id == user))


def test_a_sqlite_backup_restored_into_postgres_maps_user_ids_by_email(
    both: tuple[Runtime, Runtime], write_package: PackageWriter, tmp_path: Path
) -> None:
    lite, pg = both
    boss, ana = _acme(lite, write_package)
    reg = lite.registry
    gone = reg.ensure_user("gone@acme.test", SECRET)  # never a member: not in the archive
    services, call = call_as(lite, "acme", ana)
    entity = call.app.entities["thing"]
    made = services.records.create(call, entity, {"name": "Gear", "reviewer": boss}).record
    services, call = call_as(lite, "acme", boss)
    services.records.update(call, entity, int(made["id"]), {"name": "Cog", "reviewer": ana}, None)
    other = services.records.create(call, entity, {"name": "Odd", "reviewer": gone}).record
    info = reg.get_tenant("acme")
    assert info is not None
    reg.audit.record(info.id, "test.touch", actor="boss@acme.test", actor_user_id=boss)
    path = tmp_path / "acme.zip"
    write_backup(lite, "acme", path)
    assert "gone@acme.test" not in json.dumps(entry_rows(path, USERS_ENTRY))

    for email in ("zed@x.test", "yan@x.test", "xi@x.test"):  # ids differ over there
        pg.registry.ensure_user(email, SECRET)
    pg_ana = pg.registry.ensure_user("ana@acme.test", "ana's own password 42")
    result = restore_backup(pg, "acme", path, as_name="moved")
    assert result.members is not None and result.members.members == 2
    pg_boss = pg.registry.user_id("boss@acme.test")
    assert pg_boss is not None and {pg_ana, pg_boss}.isdisjoint({ana, boss})

    things = {r["name"]: r for r in table_rows(pg, "moved", "thing")}
    cog = things["Cog"]
    assert (cog["owner_id"], cog["created_by"]) == (pg_ana, pg_ana)
    assert (cog["updated_by"], cog["reviewer"]) == (pg_boss, pg_ana)
    odd = things["Odd"]
    assert odd["id"] == other["id"] and odd["owner_id"] == pg_boss
    # Its user never took part in the tenant: the backup does not name them.
    assert odd["reviewer"] is None
    changes = [r for r in table_rows(pg, "moved", "_changes") if r["record_id"] == cog["id"]]
    assert [r["user_id"] for r in changes] == [pg_ana, pg_boss]
    assert changes[1]["changes"]["reviewer"] == [pg_boss, pg_ana]
    assert changes[0]["changes"]["reviewer"] == [None, pg_boss]
    moved = pg.registry.get_tenant("moved")
    assert moved is not None
    touched = [
        e for e in pg.registry.audit.entries(moved.id, limit=200) if e.action == "test.touch"
    ]
    assert [e.actor_user_id for e in touched] == [pg_boss]
    # Restored where it was written, ids are kept as they are (unlisted ones too).
    restore_backup(lite, "acme", path, as_name="again")
    again = {r["name"]: r for r in table_rows(lite, "again", "thing")}
    assert again["Odd"]["reviewer"] == gone and again["Cog"]["created_by"] == ana


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_an_owner_who_left_keeps_owning_in_another_install_without_access(
    both: tuple[Runtime, Runtime], direction: str, write_package: PackageWriter, tmp_path: Path
) -> None:
    source, target = both if direction == "sqlite->postgres" else both[::-1]
    boss, _ = _acme(source, write_package)
    reg = source.registry
    left = reg.ensure_user("left@acme.test", SECRET, display_name="Lena Left")
    reg.add_membership("acme", left, ["rep"])
    quit_ = reg.ensure_user("quit@acme.test", SECRET)
    reg.add_membership("acme", quit_, ["rep"])
    services, call = call_as(source, "acme", left)
    entity = call.app.entities["thing"]
    owned = services.records.create(call, entity, {"name": "Left's", "reviewer": quit_}).record
    services, call = call_as(source, "acme", boss)
    services.records.update(call, entity, int(owned["id"]), {"name": "Left's deal"}, None)
    _leave(source, "acme", left)
    _leave(source, "acme", quit_)  # never acted, but the audit names them as a member
    path = tmp_path / "acme.zip"
    write_backup(source, "acme", path)
    users = {r["email"]: r for r in entry_rows(path, USERS_ENTRY)}
    assert users["left@acme.test"] == {
        "user_id": left, "email": "left@acme.test", "member": False, "display_name": "Lena Left",
    }  # fmt: skip
    assert users["quit@acme.test"]["member"] is False
    assert users["boss@acme.test"]["member"] is True

    for email in ("zed@x.test", "yan@x.test", "xi@x.test", "wu@x.test"):
        target.registry.ensure_user(email, SECRET)
    there_quit = target.registry.ensure_user("quit@acme.test", "quit's own password 42")
    result = restore_backup(target, "acme", path, as_name="moved")
    assert result.members is not None and result.members.members == 2
    assert result.former is not None and result.former.new_accounts == ("left@acme.test",)
    there_left = target.registry.user_id("left@acme.test")
    assert there_left is not None and there_left != left

    [row] = table_rows(target, "moved", "thing")
    assert (row["owner_id"], row["created_by"], row["reviewer"]) == (
        there_left,
        there_left,
        there_quit,
    )
    assert row["updated_by"] == target.registry.user_id("boss@acme.test")
    # Neither former member is a member: no identity in the tenant, so no sign-in.
    assert target.registry.member_identity("moved", there_left) is None
    assert target.registry.member_identity("moved", there_quit) is None
    assert target.registry.password_hash(there_left) is None  # a new account has no password
    assert target.registry.password_hash(there_quit) is not None  # an existing one is untouched
    moved = target.registry.get_tenant("moved")
    assert moved is not None
    [entry] = target.registry.audit.entries(moved.id, action="members.restore_former", limit=5)
    assert entry.detail == {"former_members": 2, "new_accounts": ["left@acme.test"]}

    # The restored tenant's backup lists them again, still as former members.
    again = tmp_path / "again.zip"
    write_backup(target, "moved", again)
    listed = {r["email"]: r["member"] for r in entry_rows(again, USERS_ENTRY)}
    assert listed["left@acme.test"] is False and listed["quit@acme.test"] is False


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_user_ids_inside_the_json_trails_are_mapped(
    both: tuple[Runtime, Runtime], direction: str, write_package: PackageWriter, tmp_path: Path
) -> None:
    """Rule runs' changes, a pending approval's data and a merge's ``survivor_before``
    hold record values by field: the user fields and owner among them are mapped, the
    other keys are left alone. A comment's mentions are mapped too."""
    source, target = both if direction == "sqlite->postgres" else both[::-1]
    boss, ana = _acme(source, write_package)
    services, call = call_as(source, "acme", boss)
    made = services.records.create(call, call.app.entities["thing"], {"name": "Gear"}).record
    thing, at = int(made["id"]), datetime(2026, 11, 2, tzinfo=UTC)
    tables = source.app("acme").metadata.tables
    before = {"reviewer": ana, "owner_id": boss, "name": "7"}
    with source.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        conn.execute(
            tables[RULE_RUNS_TABLE].insert().values(
                rule="assign", entity="thing", record_id=thing, trigger="on update",
                phase="after", outcome="changed", at=at,
                changes={"owner_id": [boss, ana], "reviewer": ana, "name": [boss, ana]},
            )
        )  # fmt: skip
        conn.execute(
            tables[APPROVALS_TABLE].insert().values(
                entity="thing", record_id=thing, workflow="flow", transition="go", role="rep",
                status="pending", data={"reviewer": boss, "name": "x"}, requested_by=ana,
                requested_at=at,
            )
        )  # fmt: skip
        conn.execute(
            tables[MERGES_TABLE].insert().values(
                entity="thing", survivor_id=thing, losers="[99]", moves="[]", created_at=at,
                survivor_before=json.dumps(before), created_by=boss,
            )
        )  # fmt: skip
        conn.execute(
            tables[COMMENTS_TABLE].insert().values(
                entity="thing", record_id=thing, user_id=boss, body="@ana see", at=at,
                mentions=[["@ana", ana], ["@nobody", None]],
            )
        )  # fmt: skip
    path = tmp_path / "acme.zip"
    write_backup(source, "acme", path)

    for email in ("zed@x.test", "yan@x.test", "xi@x.test"):
        target.registry.ensure_user(email, SECRET)
    restore_backup(target, "acme", path, as_name="moved")
    there_boss, there_ana = (
        target.registry.user_id("boss@acme.test"),
        target.registry.user_id("ana@acme.test"),
    )
    assert (
        there_boss is not None
        and there_ana is not None
        and {there_boss, there_ana}.isdisjoint({boss, ana})
    )
    [run] = table_rows(target, "moved", RULE_RUNS_TABLE)
    assert run["changes"] == {
        "owner_id": [there_boss, there_ana], "reviewer": there_ana, "name": [boss, ana],
    }  # fmt: skip
    [approval] = table_rows(target, "moved", APPROVALS_TABLE)
    assert approval["data"] == {"reviewer": there_boss, "name": "x"}
    assert approval["requested_by"] == there_ana
    [merge] = table_rows(target, "moved", MERGES_TABLE)
    assert json.loads(merge["survivor_before"]) == {
        "reviewer": there_ana, "owner_id": there_boss, "name": "7",
    }  # fmt: skip
    assert merge["created_by"] == there_boss and merge["losers"] == "[99]"
    [comment] = table_rows(target, "moved", COMMENTS_TABLE)
    assert comment["mentions"] == [["@ana", there_ana], ["@nobody", None]]
    assert comment["user_id"] == there_boss


def _users_edits(raw: bytes) -> dict[str, bytes]:
    """Users files each failing one check (checksums fixed), by a part of the refusal."""
    left = next(line for line in raw.splitlines() if b"left@acme.test" in line)
    boss = next(line for line in raw.splitlines() if b"boss@acme.test" in line)
    return {
        "is not {user_id, email, member, display_name}": raw.replace(
            b'"member":false', b'"member":false,"password":"x"'
        ),
        "has a bad member or name": raw.replace(b'"member":false', b'"member":"no"'),
        "bad or repeated e-mail": raw.replace(left, left.replace(b"left@", b"boss@")),
        "bad or repeated user id": raw.replace(
            boss, re.sub(rb'"user_id":\d+', b'"user_id":true', boss)
        ),
        "as a former member, but the members file holds them": raw.replace(
            boss, boss.replace(b'"member":true', b'"member":false')
        ),
        "who is not a member in it": raw.replace(left, left.replace(b"false", b"true")),
    }


def test_bad_users_files_are_refused_and_the_summary_names_former_members(
    runtime: Runtime,
    write_package: PackageWriter,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    boss, _ = _acme(runtime, write_package)
    left = runtime.registry.ensure_user("left@acme.test", SECRET)
    runtime.registry.add_membership("acme", left, ["rep"])
    services, call = call_as(runtime, "acme", left)
    services.records.create(call, call.app.entities["thing"], {"name": "Mine"})
    _leave(runtime, "acme", left)
    where = cli_env(runtime, monkeypatch)
    good = tmp_path / "good.zip"
    assert main(["backup", "acme", "-o", str(good), *where]) == 0
    with zipfile.ZipFile(good) as archive:
        raw = archive.read(USERS_ENTRY)
    for problem, edited in _users_edits(raw).items():
        assert edited != raw, problem
        bad = tmp_path / "bad.zip"
        changed = edited.replace(b"left@acme.test", b"new@acme.test")
        rewrite_archive(good, bad, USERS_ENTRY, changed, fix=True)
        capsys.readouterr()
        assert main(["restore", "acme", str(bad), "--as", "other", *where]) == 1, problem
        assert problem in capsys.readouterr().err, problem
        assert runtime.registry.get_tenant("other") is None, problem
        assert runtime.registry.user_id("new@acme.test") is None, problem

    assert main(["restore", "acme", str(good), "--as", "copy", *where]) == 0
    out = capsys.readouterr().out
    assert "Former members the data refers to, restored as accounts without membership: 1." in out
    assert "Accounts created for former members" not in out  # the account is there
    assert runtime.registry.member_identity("copy", left) is None
    monkeypatch.setenv("LC_ALL", "es_ES.UTF-8")
    users = runtime.registry.users
    with runtime.registry.connect(write=True) as conn, conn.begin():  # not known here now
        conn.execute(users.update().where(users.c.id == left).values(email="lena@else.test"))
    assert main(["restore", "acme", str(good), "--as", "otra", *where]) == 0
    out = capsys.readouterr().out
    assert "Antiguos miembros a los que se refieren los datos" in out
    assert "Cuentas creadas para antiguos miembros (sin contraseña ni pertenencia): " \
        "left@acme.test." in out  # fmt: skip
    again = runtime.registry.user_id("left@acme.test")
    assert again is not None and runtime.registry.member_identity("otra", again) is None
    [row] = table_rows(runtime, "otra", "thing")
    assert row["owner_id"] == again != left and boss != again


def test_a_format_3_users_file_of_members_only_still_restores(
    both: tuple[Runtime, Runtime], write_package: PackageWriter, tmp_path: Path
) -> None:
    lite, pg = both
    boss, ana = _acme(lite, write_package)
    services, call = call_as(lite, "acme", ana)
    services.records.create(call, call.app.entities["thing"], {"name": "Gear", "reviewer": boss})
    good, old = tmp_path / "good.zip", tmp_path / "old.zip"
    write_backup(lite, "acme", good)
    rows = [{"user_id": r["user_id"], "email": r["email"]} for r in entry_rows(good, USERS_ENTRY)]
    raw = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in rows)
    rewrite_archive(good, old, USERS_ENTRY, raw, fix=True, format_version=3)
    for email in ("zed@x.test", "yan@x.test"):
        pg.registry.ensure_user(email, SECRET)
    result = restore_backup(pg, "acme", old, as_name="moved")
    assert result.former is not None and result.former.user_ids == ()
    [row] = table_rows(pg, "moved", "thing")
    assert row["owner_id"] == pg.registry.user_id("ana@acme.test") != ana
    assert row["reviewer"] == pg.registry.user_id("boss@acme.test") != boss
