"""``trellis backup`` / ``trellis restore`` (issue 17, item 10): round trips on SQLite and
PostgreSQL and between them, and refused archives that change nothing."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.cli import main
from trellis.platform.backup.manifest import FORMAT_VERSION
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.bundle import Services
from trellis.platform.services.files import FilesService

from backup_support import cli_env, data_rows, rewrite_archive, two_installations
from files_support import PDF
from helpers import PackageWriter

ENTITIES = {
    "company": (
        "fields:\n  name: {type: string}\n  revenue: {type: decimal}\n"
        "  founded: {type: date}\n  doc: {type: file}\n"
    ),
    "deal": (
        "fields:\n  name: {type: string}\n  company: {type: reference, to: company}\n"
        "  partners: {type: many_to_many, to: company}\n"
    ),
}


def _seed(runtime: Runtime, root: Path, tenant: str = "acme") -> None:
    """Tenant ``tenant``: companies (one updated, one deleted), deals, a file."""
    reg = runtime.registry
    reg.create_tenant(tenant)
    publish(runtime, tenant, root)
    boss = reg.ensure_user(f"boss@{tenant}.test", "long enough secret")
    reg.add_membership(tenant, boss, ["admin"])
    identity = reg.member_identity(tenant, boss)
    assert identity is not None
    services = Services(runtime)
    call = services.call_as(tenant, identity)
    company, deal = call.app.entities["company"], call.app.entities["deal"]
    ids = []
    for name in ("Acme", "Globex", "Initech"):
        body = {"name": name, "revenue": "1234.50", "founded": "2001-02-03"}
        ids.append(services.records.create(call, company, body).record["id"])
    services.records.update(call, company, ids[0], {"name": "Acme Ltd"}, None)
    services.records.delete(call, company, ids[2], None)
    services.records.create(call, deal, {"name": "Big", "company": ids[0], "partners": ids[:2]})
    FilesService(runtime).store_version(call, company, ids[1], "doc", PDF, "offer.pdf")


@pytest.fixture
def world(
    runtime: Runtime, write_package: PackageWriter, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    _seed(runtime, write_package(ENTITIES))
    return cli_env(runtime, monkeypatch)


def test_backup_restore_as_new_tenant_round_trips_rows_history_and_files(
    world: list[str], runtime: Runtime, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert main(["backup", "acme", "-o", str(first), *world]) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with zipfile.ZipFile(first) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = archive.namelist()
    assert manifest["format_version"] == FORMAT_VERSION and manifest["tenant"] == "acme"
    assert manifest["entries"]["data/company.jsonl"]["rows"] == 3  # the deleted one too
    assert {"package/trellis.lock.yaml", "history/_changes.jsonl", "audit/audit.jsonl"} <= set(
        names
    )
    [doc] = [n for n in names if n.startswith("files/company/")]
    rows = data_rows(first)
    deleted = [r for r in rows["data/company.jsonl"] if r["deleted_at"] is not None]
    assert len(deleted) == 1 and rows["data/company.jsonl"][0]["version"] == 2
    assert Decimal(str(rows["data/company.jsonl"][0]["revenue"])) == Decimal("1234.50")
    [links] = [v for k, v in rows.items() if k.startswith("data/_m2m_")]
    assert len(links) == 2

    assert main(["restore", "acme", str(first), "--as", "copy", *world]) == 0
    assert main(["backup", "copy", "-o", str(second), *world]) == 0
    assert data_rows(second) == rows
    with zipfile.ZipFile(second) as archive:
        assert archive.read(doc) == PDF
        assert json.loads(archive.read("manifest.json"))["tenant"] == "copy"
    # The restored tenant works: new records get fresh ids past the restored ones.
    info = runtime.registry.get_tenant("copy")
    assert info is not None
    actions = [e.action for e in runtime.registry.audit.entries(info.id, limit=200)]
    assert "tenant.restore" in actions and "metadata.publish" in actions
    boss = runtime.registry.ensure_user("boss@copy.test", "long enough secret")
    runtime.registry.add_membership("copy", boss, ["admin"])
    identity = runtime.registry.member_identity("copy", boss)
    assert identity is not None
    services = Services(runtime)
    call = services.call_as("copy", identity)
    made = services.records.create(call, call.app.entities["company"], {"name": "New"})
    assert made.record["id"] == 4


def _refused(world: list[str], runtime: Runtime, archive: Path, *extra: str) -> None:
    """The restore fails (exit 1) and tenant ``acme`` is as it was."""
    before = _counts(runtime)
    assert main(["restore", "acme", str(archive), *extra, *world]) == 1
    assert _counts(runtime) == before
    assert runtime.registry.get_tenant("other") is None


def _counts(runtime: Runtime) -> tuple[int, int | None]:
    with runtime.engines.tenant_connection("acme") as conn:
        table = runtime.app("acme").table("company")
        rows = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return int(rows), runtime.registry.get_tenant("acme").current_version  # type: ignore[union-attr]


def test_bad_archives_and_existing_tenants_are_refused_with_nothing_changed(
    world: list[str], runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.zip"
    assert main(["backup", "acme", "-o", str(good), *world]) == 0
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(good) as archive:
        company = archive.read("data/company.jsonl").replace(b"Globex", b"Gl0bex")
        manifest = json.loads(archive.read("manifest.json"))
    rewrite_archive(good, tampered, "data/company.jsonl", company)
    _refused(world, runtime, tampered, "--as", "other")
    assert "checksum" in capsys.readouterr().err

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _refused(world, runtime, truncated, "--as", "other")
    assert "zip" in capsys.readouterr().err

    newer = tmp_path / "newer.zip"
    manifest["format_version"] = FORMAT_VERSION + 1
    rewrite_archive(good, newer, "manifest.json", json.dumps(manifest).encode())
    _refused(world, runtime, newer, "--as", "other")
    assert "upgrade Trellis" in capsys.readouterr().err

    escaping = tmp_path / "escaping.zip"
    shutil.copy(good, escaping)
    with zipfile.ZipFile(escaping, "a") as archive:
        archive.writestr("../evil.txt", b"x")
    _refused(world, runtime, escaping, "--as", "other")
    assert "leave" in capsys.readouterr().err

    _refused(world, runtime, good)  # acme exists and no --replace
    assert "--replace" in capsys.readouterr().err
    assert main(["restore", "other", str(good), "--as", "other", *world]) == 1
    assert "a backup of 'acme'" in capsys.readouterr().err
    assert runtime.registry.get_tenant("other") is None


def test_replace_puts_the_tenant_back_as_it_was(
    world: list[str], runtime: Runtime, tmp_path: Path
) -> None:
    archive = tmp_path / "acme.zip"
    assert main(["backup", "acme", "-o", str(archive), *world]) == 0
    with runtime.engines.tenant_connection("acme", write=True) as conn, conn.begin():
        conn.execute(runtime.app("acme").table("company").delete())
    assert main(["restore", "acme", str(archive), "--replace", *world]) == 0
    again = tmp_path / "again.zip"
    assert main(["backup", "acme", "-o", str(again), *world]) == 0
    assert data_rows(again) == data_rows(archive)


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    with two_installations(tmp_path) as pair:
        yield pair


@pytest.mark.parametrize("direction", ["sqlite->postgres", "postgres->sqlite"])
def test_a_backup_restores_on_the_other_backend_and_back(
    both: tuple[Runtime, Runtime],
    direction: str,
    write_package: PackageWriter,
    tmp_path: Path,
) -> None:
    from trellis.platform.backup.restore import restore_backup
    from trellis.platform.backup.writer import write_backup

    source, target = both if direction == "sqlite->postgres" else both[::-1]
    _seed(source, write_package(ENTITIES))
    first, second, third = (tmp_path / f"{n}.zip" for n in ("1", "2", "3"))
    write_backup(source, "acme", first)
    restore_backup(target, "acme", first)
    write_backup(target, "acme", second)
    assert data_rows(second) == data_rows(first)
    restore_backup(source, "acme", second, as_name="back")
    write_backup(source, "back", third)
    assert data_rows(third) == data_rows(first)
