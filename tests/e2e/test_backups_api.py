"""The backup API: tenant admins list, start (a job) and download their tenant's backups."""

from __future__ import annotations

import io
import shutil
import threading
import zipfile
from typing import Any

import jsonschema
import pytest
from litestar.testing import TestClient

from trellis.platform.backup.on_demand import jobs_dir, start_backup
from trellis.platform.backup.scheduled import backup_dir
from trellis.platform.config.clock import FakeClock
from trellis.platform.jobs import Dispatcher
from trellis.platform.records.errors import ConflictError
from trellis.platform.runtime import Runtime

from helpers import Api, PackageWriter, make_tenant


@pytest.fixture
def runtime(clocked_runtime: Runtime) -> Runtime:
    return clocked_runtime


@pytest.fixture
def apis(runtime: Runtime, client: TestClient[Any], write_package: PackageWriter) -> dict[str, Api]:
    """Admins of ``acme`` and ``other``, and a member of ``acme`` who is not an admin."""
    found = {name: Api(client, name, make_tenant(runtime, write_package, name))
             for name in ("acme", "other")}  # fmt: skip
    rep = runtime.registry.ensure_user("rep@acme.test", "correct horse battery")
    runtime.registry.add_membership("acme", rep, ["user"])
    found["rep"] = Api(client, "acme", runtime.registry.create_token("acme", "rep@acme.test"))
    return found


def _conforms(api: Api, name: str, body: object) -> None:
    doc = api.get("openapi.json").json()
    root = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(body)) == [], (name, body)


def _back_up(api: Api, runtime: Runtime) -> str:
    """Start a backup, run the jobs, and return the archive's name."""
    started = api.post("_backups")
    assert started.status_code == 202, started.text
    Dispatcher(runtime).run_due()
    job = api.client.get(started.json()["url"], headers=api.headers).json()
    assert job["state"] == "done", job
    return str(job["name"])


def test_admin_starts_a_backup_job_and_downloads_the_archive(
    apis: dict[str, Api], runtime: Runtime
) -> None:
    acme = apis["acme"]
    acme.post("account", json={"name": "Alpha"})
    started = acme.post("_backups")
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["state"] == "queued" and started.headers["location"] == body["url"]
    _conforms(acme, "Trellis_BackupQueued", body)
    queued = acme.client.get(body["url"], headers=acme.headers).json()
    assert queued["state"] == "queued" and queued["download_url"] is None
    _conforms(acme, "Trellis_BackupJob", queued)
    listing = acme.get("_backups").json()
    assert listing["items"] == [] and listing["running"]["id"] == body["id"]
    _conforms(acme, "Trellis_Backups", listing)

    Dispatcher(runtime).run_due()

    done = acme.client.get(body["url"], headers=acme.headers).json()
    assert done["state"] == "done" and done["name"].startswith("acme-"), done
    _conforms(acme, "Trellis_BackupJob", done)
    listing = acme.get("_backups").json()
    assert [b["name"] for b in listing["items"]] == [done["name"]] and listing["running"] is None
    assert listing["items"][0]["download_url"] == done["download_url"]
    _conforms(acme, "Trellis_Backups", listing)
    got = acme.client.get(done["download_url"], headers=acme.headers)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == f'attachment; filename="{done["name"]}"'
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    assert "Alpha" in archive.read("data/account.jsonl").decode()
    audit = runtime.registry.audit.entries(runtime.tenant("acme").id)
    made = [e for e in audit if e.action == "tenant.backup"]
    assert [(e.actor, e.target) for e in made] == [("admin@acme.test", f"backup:{done['name']}")]
    assert [e.target for e in audit if e.action == "tenant.backup.download"] == [
        f"backup:{done['name']}"
    ]


def test_a_second_start_while_one_is_queued_is_refused_clearly(
    apis: dict[str, Api], runtime: Runtime, clock: FakeClock
) -> None:
    acme = apis["acme"]
    first = acme.post("_backups").json()
    again = acme.post("_backups")
    assert again.status_code == 409
    assert again.json()["running"] == first["id"]
    assert "already under way" in again.json()["errors"]["__all__"][0]
    spanish = acme.post("_backups", headers={"Accept-Language": "es"})
    assert "Ya está en curso" in spanish.json()["errors"]["__all__"][0], spanish.text
    assert apis["other"].post("_backups").status_code == 202  # another tenant: its own lock
    Dispatcher(runtime).run_due()
    clock.advance(1)
    assert acme.post("_backups").status_code == 202  # the first one ended: free again


def test_concurrent_starts_queue_exactly_one(apis: dict[str, Api], runtime: Runtime) -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def start() -> None:
        barrier.wait()
        try:
            start_backup(runtime, "acme", None, "admin@acme.test")
            outcomes.append("queued")
        except ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["queued", "refused", "refused", "refused"]
    assert len(list(jobs_dir(runtime, "acme").glob("*.json"))) == 1


def test_other_roles_are_403_and_other_tenants_backups_are_404(
    apis: dict[str, Api], runtime: Runtime
) -> None:
    acme, other, rep = apis["acme"], apis["other"], apis["rep"]
    mine = _back_up(acme, runtime)
    theirs_job = other.post("_backups").json()["id"]
    Dispatcher(runtime).run_due()
    theirs = other.client.get(f"/t/other/api/_backups/jobs/{theirs_job}", headers=other.headers)
    theirs_name = theirs.json()["name"]
    for path in ("_backups", f"_backups/{mine}", f"_backups/jobs/{theirs_job}"):
        assert rep.get(path).status_code == 403, path
    assert rep.post("_backups").status_code == 403
    assert "_backups" not in str(rep.get("openapi.json").json()["paths"])
    assert "/t/acme/api/_backups/{name}" in acme.get("openapi.json").json()["paths"]
    for path in (
        f"_backups/{theirs_name}",
        f"_backups/jobs/{theirs_job}",
        "_backups/jobs/0123456789abcdef",
        "_backups/acme-20991231T000000Z.zip",
        "_backups/..%2Fother%2F" + theirs_name,
        "_backups/x.zip",
    ):
        assert acme.get(path).status_code == 404, path
    assert [b["name"] for b in acme.get("_backups").json()["items"]] == [mine]
    foreign = acme.client.get(f"/t/other/api/_backups/{theirs_name}", headers=acme.headers)
    assert foreign.status_code in (401, 403, 404) and "zip" not in foreign.headers["content-type"]


def test_a_damaged_or_foreign_archive_is_not_served(apis: dict[str, Api], runtime: Runtime) -> None:
    acme, other = apis["acme"], apis["other"]
    mine = _back_up(acme, runtime)
    theirs = _back_up(other, runtime)
    path = backup_dir(runtime, "acme") / mine
    # an entry changed inside an otherwise readable zip: its checksum no longer matches
    forged = backup_dir(runtime, "acme") / "acme-20200101T000000Z.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(forged, "w") as dst:
        for item in src.infolist():
            content = src.read(item)
            changed = item.filename == "package/app.yaml"
            dst.writestr(item, content + b"# edited\n" if changed else content)
    tampered = acme.get(f"_backups/{forged.name}")
    assert tampered.status_code == 409 and "checksum" in tampered.text, tampered.text
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated
    truncated = acme.get(f"_backups/{mine}")
    assert truncated.status_code == 409 and "damaged" in truncated.text, truncated.text
    spanish = acme.get(f"_backups/{mine}", headers={"Accept-Language": "es"})
    assert "dañada" in spanish.json()["errors"]["__all__"][0], spanish.text
    assert "no es un zip legible" in spanish.json()["errors"]["__all__"][0], spanish.text
    # another tenant's archive put in acme's folder under an acme name
    stolen = f"acme-{theirs.split('-', 1)[1]}"
    shutil.copy(backup_dir(runtime, "other") / theirs, backup_dir(runtime, "acme") / stolen)
    foreign = acme.get(f"_backups/{stolen}")
    assert foreign.status_code == 409 and "another tenant" in foreign.text
    path.unlink()
    assert acme.get(f"_backups/{mine}").status_code == 404
    downloads = [
        e for e in runtime.registry.audit.entries(runtime.tenant("acme").id)
        if e.action == "tenant.backup.download"
    ]  # fmt: skip
    assert downloads == []


def test_start_refuses_a_body_with_fields_and_unknown_parameters(apis: dict[str, Api]) -> None:
    acme = apis["acme"]
    assert acme.post("_backups", json={"what": 1}).status_code == 422
    assert acme.post("_backups?now=1").status_code == 400
    assert acme.get("_backups").json()["running"] is None
    assert acme.post("_backups", json={}).status_code == 202
