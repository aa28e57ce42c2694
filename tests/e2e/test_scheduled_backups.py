"""Scheduled per-tenant backups: made by the dispatcher, newest N kept, admins download theirs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from trellis.platform.backup.scheduled import list_backups
from trellis.platform.config import FakeClock, RuntimeConfig
from trellis.platform.jobs import Dispatcher
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from helpers import PackageWriter, make_tenant
from ui_support import post_form, sign_in

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY = 86_400


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def runtime(config: RuntimeConfig, clock: FakeClock) -> Iterator[Runtime]:
    rt = Runtime(config.with_overrides(backup_keep=2, backup_every_hours=24), clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def tenants(runtime: Runtime, write_package: PackageWriter) -> list[str]:
    for name in ("acme", "other"):
        make_tenant(runtime, write_package, name)
    rep = runtime.registry.ensure_user("rep@acme.test", "correct horse battery")
    runtime.registry.add_membership("acme", rep, ["user"])
    return ["acme", "other"]


def _names(runtime: Runtime, tenant: str) -> list[str]:
    return [b.name for b in list_backups(runtime, tenant)]


def test_backups_are_made_when_due_and_the_newest_are_kept(
    runtime: Runtime, clock: FakeClock, tenants: list[str]
) -> None:
    Dispatcher(runtime).run_due()
    assert _names(runtime, "acme") == ["acme-20261201T020000Z.zip"]
    assert _names(runtime, "other") == ["other-20261201T020000Z.zip"]
    clock.advance(3600)
    Dispatcher(runtime).run_due()  # not due yet
    assert len(_names(runtime, "acme")) == 1
    for _ in range(2):
        clock.advance(DAY)
        Dispatcher(runtime).run_due()
    assert _names(runtime, "acme") == ["acme-20261203T030000Z.zip", "acme-20261202T030000Z.zip"]
    newest = runtime.config.data_dir / "backups" / "acme" / "acme-20261203T030000Z.zip"
    with zipfile.ZipFile(newest) as archive:
        assert "manifest.json" in archive.namelist()
    audit = runtime.registry.audit.entries(runtime.tenant("acme").id, action="tenant.backup")
    assert len(audit) == 3


def test_admins_download_their_own_backups_only(
    runtime: Runtime, tenants: list[str], client: TestClient[Any]
) -> None:
    Dispatcher(runtime).run_due()
    mine, theirs = _names(runtime, "acme")[0], _names(runtime, "other")[0]
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "acme", "admin@acme.test").status_code == 303
        listing = web.get("/t/acme/admin/backups")
        assert listing.status_code == 200 and mine in listing.text and theirs not in listing.text
        spanish = web.get("/t/acme/admin/backups", headers={"Accept-Language": "es"}).text
        assert "Copias de seguridad" in spanish and "las 2 más recientes" in spanish
        got = web.get(f"/t/acme/admin/backups/{mine}")
        assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
        assert "manifest.json" in zipfile.ZipFile(io.BytesIO(got.content)).namelist()
        for name in (theirs, "acme-20991231T000000Z.zip", "..%2Fother%2F" + theirs, "x.zip"):
            assert web.get(f"/t/acme/admin/backups/{name}").status_code == 404, name
        elsewhere = web.get(f"/t/other/admin/backups/{theirs}", follow_redirects=False)
        assert elsewhere.status_code in (303, 403), elsewhere.status_code  # not a member
        assert "zip" not in elsewhere.headers.get("content-type", "")
    acme = runtime.tenant("acme").id
    audit = runtime.registry.audit.entries(acme, action="tenant.backup.download")
    assert [e.target for e in audit] == [f"backup:{mine}"]
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "acme", "rep@acme.test").status_code == 303
        assert web.get("/t/acme/admin/backups").status_code == 403
        assert web.get(f"/t/acme/admin/backups/{mine}").status_code == 403


def test_backup_and_restore_speak_the_locale_of_the_environment(
    runtime: Runtime,
    tenants: list[str],
    config: RuntimeConfig,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    from trellis.cli import main

    if config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", config.schema_prefix)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    data = ["--data-dir", str(config.data_dir)]
    archive = str(tmp_path / "acme.zip")
    assert main(["backup", "acme", "-o", archive, *data]) == 0
    assert capsys.readouterr().out.startswith("Copia de la organización 'acme'")
    assert main(["restore", "acme", archive, *data]) == 1
    assert "La organización 'acme' existe: añada --replace" in capsys.readouterr().err
    assert main(["restore", "acme", str(tmp_path / "none.zip"), *data]) == 1
    assert "No existe el archivo" in capsys.readouterr().err
    assert main(["restore", "acme", archive, "--as", "copia", *data]) == 0
    out = capsys.readouterr().out  # rep's role 'user', which the app lacks, is dropped
    assert "Organización 'copia' restaurada" in out
    assert "'rep@acme.test' tenía el rol 'user'" in out
    monkeypatch.setenv("LANG", "C.UTF-8")  # not shipped: English
    assert main(["restore", "acme", archive, *data]) == 1
    assert "Tenant 'acme' exists: add --replace" in capsys.readouterr().err


def test_back_up_now_queues_one_backup_at_a_time_from_the_admin_page(
    runtime: Runtime, tenants: list[str], client: TestClient[Any]
) -> None:
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "acme", "admin@acme.test").status_code == 303
        page = web.get("/t/acme/admin/backups").text
        assert 'action="/t/acme/admin/backups"' in page and "Back up now" in page
        assert 'id="backup-running"' not in page
        started = post_form(web, "/t/acme/admin/backups", {}, follow_redirects=False)
        assert started.status_code == 303
        shown = web.get(started.headers["location"]).text
        assert "Backup started" in shown and 'id="backup-running"' in shown
        again = post_form(web, "/t/acme/admin/backups", {}, headers={"Accept-Language": "es"})
        assert "Ya está en curso una copia de esta organización" in again.text
        Dispatcher(runtime).run_due()
        listed = web.get("/t/acme/admin/backups").text
        assert 'id="backup-running"' not in listed
        made = runtime.registry.audit.entries(runtime.tenant("acme").id, action="tenant.backup")
        assert "admin@acme.test" in [e.actor for e in made]  # the one asked for
        assert web.post("/t/acme/admin/backups").status_code == 403  # no CSRF token
    with TestClient(app=create_web_app(runtime)) as web:
        assert sign_in(web, "acme", "rep@acme.test").status_code == 303
        assert post_form(web, "/t/acme/admin/backups", {}).status_code == 403
    made = runtime.registry.audit.entries(runtime.tenant("acme").id, action="tenant.backup")
    assert [e.actor for e in made].count("admin@acme.test") == 1
