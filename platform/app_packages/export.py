"""Export a tenant's effective metadata as an app package: canonical files and the lock."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from trellis.platform.app_packages.canonical import canonical_file
from trellis.platform.app_packages.lock import (
    LOCK_FILE,
    derived_id,
    lock_files,
    read_lock,
    render_lock,
)

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime
    from trellis.tenants.registry import MetadataVersion

#: Entries of a zip get this time, so the same package always gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ExportError(Exception):
    """The export cannot be made (nothing published, or a target folder in the way)."""


def current_version(runtime: Runtime, tenant: str) -> MetadataVersion:
    """The tenant's published version (raises ``ExportError`` when there is none)."""
    info = runtime.tenant(tenant, fresh=True)
    version = (
        runtime.registry.get_version(info.id, info.current_version)
        if info.current_version
        else None
    )
    if version is None:
        raise ExportError(f"Tenant '{tenant}' has nothing published yet.")
    return version


def canonical_package(files: Mapping[str, str]) -> dict[str, str]:
    """A package's files in canonical spelling with a lock file, sorted by path.

    A package without a lock gets ids derived from node paths (the same every time).
    """
    if LOCK_FILE not in files:
        files = lock_files(files, new_id=derived_id)
    out: dict[str, str] = {}
    for path in sorted(files):
        text = files[path]
        out[path] = (
            render_lock(read_lock(text)) if path == LOCK_FILE else canonical_file(path, text)
        )
    return out


def export_files(runtime: Runtime, tenant: str) -> dict[str, str]:
    """The tenant's effective metadata as canonical package files.

    Raises:
        ExportError: nothing published yet.
        TenantNotFoundError: unknown tenant.
    """
    return canonical_package(current_version(runtime, tenant).files)


def write_package(files: Mapping[str, str], target: Path) -> None:
    """Write ``files`` into folder ``target``, which appears at once, whole.

    Raises:
        ExportError: ``target`` exists and is not an empty folder.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ExportError(f"'{target}' exists and is not an empty folder: choose a new one.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for path, text in files.items():
            file = staging / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8", newline="\n")
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def zip_bytes(files: Mapping[str, str]) -> bytes:
    """``files`` as a zip archive; the same files always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            entry = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, files[path].encode("utf-8"))
    return buffer.getvalue()


__all__ = [
    "ExportError",
    "canonical_package",
    "current_version",
    "export_files",
    "write_package",
    "zip_bytes",
]
