"""``write_version_folder``: whole folders by rename, one winner, no escaping paths."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from trellis.platform.runtime.package_folders import (
    COMPLETE_MARKER,
    TEMP_PREFIX,
    PackageFolderError,
    write_version_folder,
)

FILES = {"app.yaml": "name: x\nversion: 1.0.0\n", "entities/a/deep.yaml": "fields: {}\n"}


def test_concurrent_writers_of_one_version_leave_one_whole_folder(tmp_path: Path) -> None:
    final = tmp_path / "packages" / "acme" / "v1-abc"
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait(timeout=30)
            write_version_folder(final, FILES, "digest-1")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert (final / "app.yaml").read_text(encoding="utf-8") == FILES["app.yaml"]
    assert (final / "entities" / "a" / "deep.yaml").read_text(encoding="utf-8") == "fields: {}\n"
    assert (final / COMPLETE_MARKER).read_text(encoding="utf-8") == "digest-1"
    assert not [p for p in final.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize("name", ["../escape.yaml", "/etc/x.yaml", "a/../../b.yaml", "a\\b.yaml"])
def test_stored_file_names_cannot_leave_the_folder(tmp_path: Path, name: str) -> None:
    final = tmp_path / "packages" / "acme" / "v1-abc"
    with pytest.raises(PackageFolderError, match="not a relative path"):
        write_version_folder(final, {name: "x"}, "d")
    assert not final.exists()
    assert not (tmp_path / "escape.yaml").exists()
