"""Check an archive completely before a restore touches anything.

The zip must open, hold ``manifest.json`` of a format this Trellis reads, hold exactly
the entries the manifest lists (no name may leave the archive's root), and every entry
must match its size, SHA-256 and row count. Every JSON Lines row must parse.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trellis.metadata.model.local_text import Translatable
from trellis.platform.backup.manifest import MANIFEST, PACKAGE_DIR, BackupError, Manifest
from trellis.platform.backup.manifest import parse_manifest as _parse

#: Bytes read at a time while hashing an entry.
CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class VerifiedArchive:
    """An archive that passed every check, with its manifest and package files."""

    path: Path
    manifest: Manifest
    package: dict[str, str]


def _check_name(name: str) -> None:
    pure = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or pure.is_absolute()
        or ".." in pure.parts
        or name.startswith("/")
        or ":" in pure.parts[0]
    ):
        raise BackupError(f"The archive entry '{name}' would leave the archive's folder.")


def _check_entry(archive: zipfile.ZipFile, name: str, manifest: Manifest) -> bytes | None:
    expected = manifest.entries[name]
    digest, size, lines = hashlib.sha256(), 0, 0
    keep = name.startswith(PACKAGE_DIR)
    kept: list[bytes] = []
    pending = b""
    with archive.open(name) as entry:
        while chunk := entry.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if keep:
                kept.append(chunk)
            if expected.rows is not None:
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    json.loads(line)
                    lines += 1
    if digest.hexdigest() != expected.sha256 or size != expected.size:
        raise BackupError(
            Translatable("The archive entry '%(name)s' does not match its checksum.", name=name)
        )
    if expected.rows is not None and (pending or lines != expected.rows):
        raise BackupError(f"The archive entry '{name}' does not hold {expected.rows} rows.")
    return b"".join(kept) if keep else None


def verify_archive(path: Path) -> VerifiedArchive:
    """Check the archive at ``path``; raises ``BackupError`` naming the first problem."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            for name in names:
                _check_name(name)
            if len(set(names)) != len(names):
                raise BackupError("The archive holds an entry twice.")
            if MANIFEST not in names:
                raise BackupError(
                    Translatable("The archive has no manifest.json: it is not a backup.")
                )
            manifest = _parse(archive.read(MANIFEST))
            listed = set(manifest.entries)
            present = set(names) - {MANIFEST}
            if listed != present:
                odd = sorted(listed ^ present)[:3]
                raise BackupError(f"The archive's entries differ from its manifest: {odd}.")
            package: dict[str, str] = {}
            for name in sorted(manifest.entries):
                _check_name(name)
                data = _check_entry(archive, name, manifest)
                if data is not None:
                    package[name[len(PACKAGE_DIR) :]] = data.decode("utf-8")
    except FileNotFoundError:
        raise BackupError(Translatable("No file '%(path)s'.", path=str(path))) from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise BackupError(
            Translatable(
                "'%(name)s' is not a readable zip (truncated?): %(reason)s.",
                name=path.name,
                reason=str(exc),
            )
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackupError(f"The archive holds a row that is not JSON: {exc}.") from None
    if not package:
        raise BackupError("The archive holds no app package.")
    return VerifiedArchive(path, manifest, package)


__all__ = ["VerifiedArchive", "verify_archive"]
