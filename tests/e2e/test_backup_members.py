"""Members in a backup (issue 17, item 10): ``members/members.jsonl`` round trips with
roles, teams and manager, across backends, holds no secret, and bad ones are refused."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.cli import main
from trellis.platform.backup.manifest import FORMAT_VERSION, MEMBERS_ENTRY
from trellis.platform.identity.totp import TwoFactor
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.member_status import is_deactivated, set_member_active
from trellis.tenants.registry.members import get_member, update_member

from backup_support import (
    SECRET,
    cli_env,
    entry_rows,
    package_with_roles,
    rewrite_archive,
    two_installations,
)
from helpers import PackageWriter

THING = "fields:\n  name: {type: string}\n"
ROLES = """roles:
  rep:
    entities:
      thing: {actions: [create, read]}
  viewer:
    entities:
      thing: {actions: [read]}
"""


def _seed(runtime: Runtime, root: Path) -> dict[str, str]:
    """Tenant ``acme``: an admin with a password, a token and TOTP; a rep in team north
    managed by the admin, with an attribute; an inactive account and a viewer deactivated
    in the tenant. Returns the secrets."""
    reg = runtime.registry
    reg.create_tenant("acme")
    publish(runtime, "acme", root)
    boss = reg.ensure_user("boss@acme.test", SECRET, display_name="The Boss")
    reg.add_membership("acme", boss, ["admin"])
    ana = reg.ensure_user("ana@acme.test", SECRET, display_name="Ana")
    reg.add_membership("acme", ana, ["rep", "viewer"])
    update_member(
        reg, "acme", "ana@acme.test", teams=["north"], manager="boss@acme.test",
        attributes={"region": "EU"},
    )  # fmt: skip
    carl = reg.ensure_user("carl@acme.test", None)
    reg.add_membership("acme", carl, ["viewer"])
    with reg.connect(write=True) as conn, conn.begin():
        conn.execute(reg.users.update().where(reg.users.c.id == carl).values(is_active=False))
    dan = reg.ensure_user("dan@acme.test", SECRET)
    reg.add_membership("acme", dan, ["viewer"])
    set_member_active(reg, "acme", dan, False, actor="test")
    token = reg.create_token("acme", "boss@acme.test")
    totp = TwoFactor(reg, runtime.config, clock=runtime.clock).begin(boss, "boss@acme.test", "acme")
    with reg.connect() as conn:
        token_hash = conn.execute(sa.select(reg.tokens.c.token_hash)).scalar_one()
        totp_table = reg.metadata.tables["user_totp"]
        sealed = conn.execute(sa.select(totp_table.c.secret_encrypted)).scalar_one()
    return {
        "hash": str(reg.password_hash(boss)),
        "token": token,
        "token_hash": token_hash,
        "totp": totp.secret,
        "totp_sealed": sealed,
    }


def _package(write_package: PackageWriter) -> Path:
    return package_with_roles(write_package, {"thing": THING}, ROLES)


@pytest.fixture
def world(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], dict[str, str]]:
    secrets = _seed(runtime, _package(write_package))
    return cli_env(runtime, monkeypatch), secrets


def _members(path: Path) -> list[dict[str, object]]:
    return entry_rows(path, MEMBERS_ENTRY)


def test_members_round_trip_into_a_new_tenant_with_roles_teams_and_manager(
    world: tuple[list[str], dict[str, str]],
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where, _ = world
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert main(["backup", "acme", "-o", str(first), *where]) == 0
    with zipfile.ZipFile(first) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        raw = archive.read(MEMBERS_ENTRY)
    entry = manifest["entries"][MEMBERS_ENTRY]
    assert manifest["format_version"] == FORMAT_VERSION
    assert entry == {"rows": 4, "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)}
    rows = _members(first)
    emails = ["ana@acme.test", "boss@acme.test", "carl@acme.test", "dan@acme.test"]
    assert [r["email"] for r in rows] == emails
    assert rows[0] | {"joined_at": None} == {
        "active": True,
        "attributes": {"region": "EU"},
        "deactivated_at": None,
        "display_name": "Ana",
        "email": "ana@acme.test",
        "joined_at": None,
        "manager": "boss@acme.test",
        "roles": ["rep", "viewer"],
        "teams": ["north"],
    }
    assert rows[2]["active"] is False and rows[2]["roles"] == ["viewer"]
    assert rows[3]["active"] is True and rows[3]["deactivated_at"] is not None
    capsys.readouterr()

    assert main(["restore", "acme", str(first), "--as", "copy", *where]) == 0
    out = capsys.readouterr().out
    assert "Members restored: 4." in out and "without a password" not in out
    ana = get_member(runtime.registry, "copy", "ana@acme.test")
    boss = get_member(runtime.registry, "copy", "boss@acme.test")
    assert ana.roles == ("rep", "viewer") and ana.teams == ("north",)
    assert ana.manager_id == boss.user_id and dict(ana.attributes) == {"region": "EU"}
    assert boss.roles == ("admin",)
    copy_id = runtime.registry.get_tenant("copy").id  # type: ignore[union-attr]
    dan_id = runtime.registry.user_id("dan@acme.test")
    assert dan_id is not None and is_deactivated(runtime.registry, copy_id, dan_id)
    identity = runtime.registry.member_identity("copy", ana.user_id)
    assert identity is not None and set(identity.roles) == {"rep", "viewer"}
    info = runtime.registry.get_tenant("copy")
    assert info is not None
    actions = [e.action for e in runtime.registry.audit.entries(info.id, limit=200)]
    assert "members.restore" in actions
    assert main(["backup", "copy", "-o", str(second), *where]) == 0
    assert _members(second) == rows


def test_no_secret_is_in_the_archive(
    world: tuple[list[str], dict[str, str]], tmp_path: Path
) -> None:
    where, secrets = world
    path = tmp_path / "a.zip"
    assert main(["backup", "acme", "-o", str(path), *where]) == 0
    with zipfile.ZipFile(path) as archive:
        blobs = [path.read_bytes(), *(archive.read(n) for n in archive.namelist())]
    for name, secret in secrets.items():
        assert secret, name
        for blob in blobs:
            assert secret.encode() not in blob, name
    for row in _members(path):
        assert not {k for k in row if "pass" in k or "token" in k or "totp" in k}


def _edits(raw: bytes) -> dict[str, bytes]:
    """Members files each failing one check (the checksums fixed, as by a careful hand),
    by a part of the refusal's message."""
    lines = raw.splitlines()
    carl = next(line for line in lines if b"carl@acme.test" in line)
    return {
        "other keys than": raw.replace(b'"active":', b'"password":"x","active":'),
        "bad or repeated e-mail": raw.replace(b"carl@acme.test", b"ana@acme.test"),
        "is not a member in the archive": raw.replace(
            b'"manager":"boss@acme.test"', b'"manager":"x@acme.test"'
        ),
        "Team name 'bad team!'": raw.replace(b'"teams":["north"]', b'"teams":["bad team!"]'),
        "are not a list of names": raw.replace(
            carl, carl.replace(b'"roles":["viewer"]', b'"roles":"viewer"')
        ),
    }


def test_tampered_and_malformed_members_are_refused_with_nothing_changed(
    world: tuple[list[str], dict[str, str]],
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where, _ = world
    good = tmp_path / "good.zip"
    assert main(["backup", "acme", "-o", str(good), *where]) == 0
    with zipfile.ZipFile(good) as archive:
        raw = archive.read(MEMBERS_ENTRY)
    capsys.readouterr()
    promoted = raw.replace(b'"roles":["viewer"]', b'"roles":["admin"]')
    assert promoted != raw
    tampered = tmp_path / "tampered.zip"
    rewrite_archive(good, tampered, MEMBERS_ENTRY, promoted)
    assert main(["restore", "acme", str(tampered), "--as", "other", *where]) == 1
    assert "checksum" in capsys.readouterr().err
    assert runtime.registry.get_tenant("other") is None

    for problem, edited in _edits(raw).items():
        assert edited != raw, problem
        bad = tmp_path / "bad.zip"
        changed = edited.replace(b"dan@acme.test", b"new@acme.test")
        rewrite_archive(good, bad, MEMBERS_ENTRY, changed, fix=True)
        assert main(["restore", "acme", str(bad), "--as", "other", *where]) == 1, problem
        assert problem in capsys.readouterr().err
        assert runtime.registry.get_tenant("other") is None, problem
        assert runtime.registry.user_id("new@acme.test") is None, problem


def test_a_role_the_app_lacks_is_warned_at_backup_and_dropped_at_restore(
    world: tuple[list[str], dict[str, str]],
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where, _ = world
    reg = runtime.registry
    reg.add_membership("acme", reg.user_id("ana@acme.test") or 0, ["ghost"])
    with reg.connect(write=True) as conn, conn.begin():  # carl: only roles the app lacks
        carl = reg.user_id("carl@acme.test")
        conn.execute(
            reg.memberships.update()
            .where(reg.memberships.c.user_id == carl)
            .values(roles=["ghost", "spook"])
        )
    path = tmp_path / "a.zip"
    assert main(["backup", "acme", "-o", str(path), *where]) == 0
    assert "(ghost, spook): a restore of this archive drops" in capsys.readouterr().err

    assert main(["restore", "acme", str(path), "--as", "other", *where]) == 0
    out = capsys.readouterr().out
    assert "Members restored: 4." in out
    for email, role in [("ana", "ghost"), ("carl", "ghost"), ("carl", "spook")]:
        assert (
            f"Member '{email}@acme.test' had role '{role}', which the archived app does not "
            "define: the role was dropped." in out
        )
    assert "Members left without any role (give them one with 'trellis user roles'): " \
        "carl@acme.test." in out  # fmt: skip
    ana = get_member(reg, "other", "ana@acme.test")
    boss = get_member(reg, "other", "boss@acme.test")
    assert ana.roles == ("rep", "viewer") and ana.teams == ("north",)
    assert ana.manager_id == boss.user_id and dict(ana.attributes) == {"region": "EU"}
    assert boss.roles == ("admin",)
    info = reg.get_tenant("other")
    assert info is not None and runtime.tenant("other").name == "other"
    with reg.connect() as conn:  # carl's account is inactive: not listed as a member
        m = reg.memberships
        held = sa.select(m.c.roles).where(m.c.tenant_id == info.id, m.c.user_id == carl)
        assert list(conn.execute(held).scalar_one() or []) == []
    identity = reg.member_identity("other", ana.user_id)
    assert identity is not None and set(identity.roles) == {"rep", "viewer"}
    dan_id = reg.user_id("dan@acme.test")
    assert dan_id is not None and is_deactivated(reg, info.id, dan_id)
    entry = next(e for e in reg.audit.entries(info.id, limit=200) if e.action == "members.restore")
    dropped = [["ana@acme.test", "ghost"], ["carl@acme.test", "ghost"], ["carl@acme.test", "spook"]]
    assert entry.detail is not None and entry.detail["dropped_roles"] == dropped

    monkeypatch.setenv("LC_ALL", "es_ES.UTF-8")
    assert main(["restore", "acme", str(path), "--as", "otra", *where]) == 0
    out = capsys.readouterr().out
    assert "Miembros restaurados: 4." in out
    assert (
        "El miembro 'carl@acme.test' tenía el rol 'spook', que la aplicación archivada no "
        "define: se ha quitado el rol." in out
    )
    assert "Miembros que se quedaron sin ningún rol" in out and "carl@acme.test." in out
    assert get_member(reg, "otra", "ana@acme.test").roles == ("rep", "viewer")


def test_an_archive_without_members_still_restores_and_says_so(
    world: tuple[list[str], dict[str, str]],
    runtime: Runtime,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where, _ = world
    good, old = tmp_path / "good.zip", tmp_path / "old.zip"
    assert main(["backup", "acme", "-o", str(good), *where]) == 0
    rewrite_archive(good, old, MEMBERS_ENTRY, None, format_version=1)
    capsys.readouterr()
    monkeypatch.setenv("LC_ALL", "es_ES.UTF-8")
    assert main(["restore", "acme", str(old), "--as", "other", *where]) == 0
    assert "no contiene miembros" in capsys.readouterr().out
    info = runtime.registry.get_tenant("other")
    assert info is not None
    with runtime.registry.connect() as conn:
        m = runtime.registry.memberships
        count = conn.execute(sa.select(sa.func.count()).where(m.c.tenant_id == info.id))
        assert count.scalar_one() == 0


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    with two_installations(tmp_path) as pair:
        yield pair


def test_a_sqlite_backup_restored_into_postgres_keeps_members(
    both: tuple[Runtime, Runtime], write_package: PackageWriter, tmp_path: Path
) -> None:
    from trellis.platform.backup.restore import restore_backup
    from trellis.platform.backup.writer import write_backup

    lite, pg = both
    _seed(lite, _package(write_package))
    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    write_backup(lite, "acme", first)
    ana_id = pg.registry.ensure_user("ana@acme.test", "ana's own password 42", "Ana")
    result = restore_backup(pg, "acme", first, as_name="moved")
    assert result.members is not None and result.members.members == 4
    assert result.members.new_accounts == ("boss@acme.test", "carl@acme.test", "dan@acme.test")
    ana = get_member(pg.registry, "moved", "ana@acme.test")
    boss = get_member(pg.registry, "moved", "boss@acme.test")
    assert ana.user_id == ana_id and pg.registry.password_hash(ana_id) is not None
    assert ana.manager_id == boss.user_id and ana.teams == ("north",)
    assert pg.registry.password_hash(boss.user_id) is None  # must set one to sign in
    assert pg.registry.member_identity("moved", boss.user_id) is not None
    write_backup(pg, "moved", second)
    assert _members(second) == _members(first)
