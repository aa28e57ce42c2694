"""Template packages refuse bad input before anything is touched (issue 16, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trellis.metadata.diagnostics import MetadataError
from trellis.platform.app_packages.archive import (
    MANIFEST,
    PackageError,
    build_manifest,
    pack,
    read_package,
)
from trellis.platform.app_packages.canonical import canonical_file, parse_yaml
from trellis.platform.app_packages.export import zip_bytes
from trellis.platform.app_packages.lock import derived_id, lock_files, read_lock
from trellis.seed.crm import PACKAGE_PATH

APP = {"name": "demo", "version": "1.0.0", "requires": {"trellis": ">=0.1"}}
FILES = {
    "app.yaml": "name: demo\nversion: 1.0.0\nlabel: Demo\n",
    "entities/item.yaml": "fields:\n  title: {type: string}\n",
}


def _zip(files: dict[str, str], manifest: str | None = None) -> bytes:
    return zip_bytes({**files, MANIFEST: manifest or build_manifest(files, APP)})


def test_pack_writes_a_manifest_with_checksums_of_every_file(tmp_path: Path) -> None:
    out = tmp_path / "crm-1.0.0.zip"
    package = pack(Path(str(PACKAGE_PATH)), out)
    assert (package.name, package.version, package.requires) == ("crm", "1.0.0", ">=0.1")
    assert "entities/contact.yaml" in package.files
    again = read_package(out.read_bytes())
    assert again.files == package.files
    assert [p.name for p in tmp_path.iterdir()] == ["crm-1.0.0.zip"]  # no temporary left


def test_a_good_package_reads_back() -> None:
    assert read_package(_zip(FILES)).label() == "demo 1.0.0"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({**FILES, "../evil.yaml": "x: 1\n"}, "leaves the package folder"),
        ({**FILES, "/etc/evil.yaml": "x: 1\n"}, "absolute path"),
    ],
)
def test_entries_outside_the_folder_are_refused(entries: dict[str, str], message: str) -> None:
    with pytest.raises(PackageError, match=message):
        read_package(_zip(entries))


def test_a_file_without_checksum_is_refused() -> None:
    manifest = build_manifest(FILES, APP)
    with pytest.raises(PackageError, match="no checksum"):
        read_package(zip_bytes({**FILES, "roles.yaml": "roles: {}\n", MANIFEST: manifest}))


def test_a_changed_file_fails_its_checksum() -> None:
    manifest = build_manifest(FILES, APP)
    changed = {**FILES, "entities/item.yaml": "fields:\n  title: {type: text}\n"}
    with pytest.raises(PackageError, match="does not match its checksum"):
        read_package(zip_bytes({**changed, MANIFEST: manifest}))


def test_a_listed_file_missing_from_the_package_is_refused() -> None:
    manifest = build_manifest(FILES, APP)
    with pytest.raises(PackageError, match="missing from the package"):
        read_package(zip_bytes({"app.yaml": FILES["app.yaml"], MANIFEST: manifest}))


def test_bad_yaml_is_refused_with_its_position() -> None:
    files = {**FILES, "entities/item.yaml": "fields:\n  title: {type: string\n"}
    with pytest.raises(MetadataError) as caught:
        read_package(_zip(files))
    assert "entities/item.yaml:" in str(caught.value.diagnostics[0])


def test_a_newer_required_platform_is_refused() -> None:
    newer = {**APP, "requires": {"trellis": ">=99.0"}}
    with pytest.raises(PackageError, match=r"requires Trellis >=99.0"):
        read_package(_zip(FILES, build_manifest(FILES, newer)))


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(PackageError, match="not a zip"):
        read_package(b"plain text")


def test_canonical_yaml_is_stable_and_keeps_field_order() -> None:
    text = "entity: a\nfields:\n  z: {type: string}\n  a: {type: text, label: 'x'}\n"
    once = canonical_file("entities/a.yaml", text)
    assert canonical_file("entities/a.yaml", once) == once
    assert list(parse_yaml(once, "a.yaml")["fields"]) == ["z", "a"]


def test_ids_survive_a_declared_rename_and_new_nodes_get_new_ids() -> None:
    first = read_lock(lock_files(FILES, new_id=derived_id)["trellis.lock.yaml"])
    renamed = {
        **FILES,
        "entities/item.yaml": "fields:\n  name: {type: string, renamed_from: title}\n"
        "  size: {type: integer}\n",
    }
    second = read_lock(lock_files(renamed, first)["trellis.lock.yaml"])
    assert second["entity:item/field:name"] == first["entity:item/field:title"]
    assert second["entity:item"] == first["entity:item"]
    assert second["entity:item/field:size"] not in first.values()
