"""Export a tenant's metadata, publish it back, install it elsewhere (issue 16, items 6-7)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from litestar.testing import TestClient

from trellis.cli import create_tenant, main
from trellis.platform.app_packages.archive import MANIFEST, build_manifest, pack
from trellis.platform.app_packages.canonical import canonical_file, parse_yaml
from trellis.platform.app_packages.export import zip_bytes
from trellis.platform.app_packages.installs import latest_install
from trellis.platform.app_packages.lock import LOCK_FILE, read_lock
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services.bundle import Services
from trellis.platform.services.values import ListArgs
from trellis.seed.crm import PACKAGE_PATH

ADMIN = "admin@acme.test"
PASSWORD = "correct horse battery"


@pytest.fixture
def cli(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Tenant ``acme`` from the CRM template; returns the ``--data-dir`` arguments."""
    create_tenant(runtime, "acme", "crm", ADMIN, PASSWORD)
    for name in [n for n in os.environ if n.startswith("TRELLIS_")]:
        monkeypatch.delenv(name)
    if runtime.config.database_url:
        monkeypatch.setenv("TRELLIS_DATABASE_URL", runtime.config.database_url)
        monkeypatch.setenv("TRELLIS_SCHEMA_PREFIX", runtime.config.schema_prefix)
    return ["--data-dir", str(runtime.config.data_dir)]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_export_publish_back_and_install_elsewhere_round_trip(
    cli: list[str],
    runtime: Runtime,
    tmp_path: Path,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["metadata", "export", "acme", str(first), *cli]) == 0
    files = _files(first)
    for path, data in files.items():  # canonical: spelling it again changes nothing
        assert canonical_file(path, data.decode()) == data.decode() or path == LOCK_FILE
    ids = read_lock(files[LOCK_FILE].decode())
    assert ids["entity:contact/field:email"].startswith("fld-")
    assert ids["pipeline:deal/stage:won"].startswith("stg-")
    assert ids["workflow:ticket_flow/state:open"].startswith("sta-")
    assert len(set(ids.values())) == len(ids)

    back = publish(runtime, "acme", first, published_by="test")
    assert back.plan.steps == [] and back.plan.render() == "No schema changes."
    assert publish(runtime, "acme", first, published_by="test").unchanged

    assert main(["tenant", "create", "copy", "--template", str(first), "--admin", ADMIN, *cli]) == 0
    assert main(["metadata", "export", "copy", str(second), *cli]) == 0
    assert _files(second) == files  # byte-identical, ids included

    assert main(["metadata", "export", "acme", str(first), *cli]) == 1  # never overwrites

    token = runtime.registry.create_token("acme", ADMIN)
    answer = client.get("/t/acme/api/_meta/export", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == files
    user = runtime.registry.ensure_user("clerk@acme.test", PASSWORD)
    runtime.registry.add_membership("acme", user, [])
    clerk = runtime.registry.create_token("acme", "clerk@acme.test")
    refused = client.get("/t/acme/api/_meta/export", headers={"Authorization": f"Bearer {clerk}"})
    assert refused.status_code == 403


def _repack(package: bytes, *, version: str) -> bytes:
    """``package`` with another app version (and a manifest that matches it)."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        files = {n: archive.read(n).decode() for n in archive.namelist() if n != MANIFEST}
    files["app.yaml"] = files["app.yaml"].replace('version: "1.0.0"', f'version: "{version}"')
    app = parse_yaml(files["app.yaml"], "app.yaml")
    return zip_bytes({**files, MANIFEST: build_manifest(files, app)})


def test_install_records_the_template_and_refuses_downgrades_untouched(
    cli: list[str], runtime: Runtime, tmp_path: Path
) -> None:
    zipped = tmp_path / "crm-1.0.0.zip"
    pack(Path(str(PACKAGE_PATH)), zipped)
    args = ["template", "install", "fresh", str(zipped), "--admin", ADMIN, *cli]
    assert main(args) == 0
    info = runtime.tenant("fresh", fresh=True)
    install = latest_install(runtime, info)
    assert install is not None and (install.name, install.version) == ("crm", "1.0.0")
    assert LOCK_FILE in install.files
    assert main(args) == 1  # the same version again

    older = tmp_path / "crm-0.0.9.zip"
    older.write_bytes(_repack(zipped.read_bytes(), version="0.0.9"))
    assert main(["template", "install", "fresh", str(older), *cli]) == 1
    assert runtime.tenant("fresh", fresh=True).current_version == info.current_version

    broken = tmp_path / "broken.zip"
    broken.write_bytes(zipped.read_bytes()[:-40])
    assert main(["template", "install", "other", str(broken), "--admin", ADMIN, *cli]) == 1
    assert runtime.registry.get_tenant("other") is None  # refused before anything


def test_install_with_demo_loads_the_sample_data(
    cli: list[str], runtime: Runtime, tmp_path: Path
) -> None:
    root = tmp_path / "shop"
    (root / "entities").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "app.yaml").write_text("name: shop\nversion: 1.0.0\nlabel: Shop\n", encoding="utf-8")
    (root / "entities" / "item.yaml").write_text(
        "fields:\n  title: {type: string, required: true}\n", encoding="utf-8"
    )
    (root / "data" / "item.yaml").write_text("- {title: Pen}\n- {title: Ink}\n", encoding="utf-8")
    pack(root, tmp_path / "shop-1.0.0.zip")
    args = ["template", "install", "shop", str(tmp_path / "shop-1.0.0.zip"), "--demo"]
    assert main([*args, "--admin", ADMIN, *cli]) == 0
    identity = runtime.registry.member_identity("shop", runtime.registry.user_id(ADMIN) or 0)
    assert identity is not None
    services = Services(runtime)
    call = services.call_as("shop", identity)
    page = services.records.page(call, call.app.entities["item"], ListArgs())
    assert sorted(r["title"] for r in page.items) == ["Ink", "Pen"]
