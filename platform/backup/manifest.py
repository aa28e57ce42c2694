"""The archive's layout and its ``manifest.json``: format version, checksums, row counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trellis.metadata.model.local_text import Translatable

#: Name of the format written into every manifest.
FORMAT_NAME = "trellis-backup"
#: Version of the archive layout; a restore refuses archives of a newer version.
#: 2 added ``members/members.jsonl`` (version 1 archives restore without members); 3
#: added ``members/users.jsonl`` (members' user ids: a restore elsewhere maps them); 4
#: lists in it the former members the rows refer to too (``member``, ``display_name``).
FORMAT_VERSION = 4
MANIFEST = "manifest.json"
PACKAGE_DIR = "package/"
DATA_DIR = "data/"
HISTORY_ENTRY = "history/_changes.jsonl"
INTERNAL_DIR = "internal/"
AUDIT_ENTRY = "audit/audit.jsonl"
MEMBERS_ENTRY = "members/members.jsonl"
USERS_ENTRY = "members/users.jsonl"
FILES_DIR = "files/"


class BackupError(ValueError):
    """A backup cannot be written or an archive cannot be restored; nothing was changed."""


@dataclass(slots=True)
class Entry:
    """One archived file: its checksum, size and, for JSON Lines, its row count."""

    sha256: str
    size: int
    rows: int | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sha256": self.sha256, "size": self.size}
        if self.rows is not None:
            out["rows"] = self.rows
        return out


@dataclass(slots=True)
class Manifest:
    """What ``manifest.json`` holds."""

    tenant: str
    created_at: str
    platform_version: str
    backend: str
    app: str
    format_version: int = FORMAT_VERSION
    entries: dict[str, Entry] = field(default_factory=dict)
    #: Roles members hold that the app does not define (a restore refuses them); not
    #: written into ``manifest.json``, for the writer's caller to warn about.
    unknown_roles: list[str] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        data = {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "platform_version": self.platform_version,
            "tenant": self.tenant,
            "created_at": self.created_at,
            "backend": self.backend,
            "app": self.app,
            "entries": {k: self.entries[k].as_json() for k in sorted(self.entries)},
        }
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")


def parse_manifest(raw: bytes) -> Manifest:
    """Read ``manifest.json``; raises ``BackupError`` on anything unexpected."""
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise BackupError(
                Translatable("This is not a Trellis backup (manifest.json has no format).")
            )
        version = data["format_version"]
        if not isinstance(version, int):
            raise BackupError("The manifest's format_version is not a number.")
        if version > FORMAT_VERSION:
            raise BackupError(
                Translatable(
                    "The archive has backup format %(version)s; this Trellis reads up to "
                    "%(known)s: upgrade Trellis to restore it.",
                    version=version,
                    known=FORMAT_VERSION,
                )
            )
        entries = {
            str(name): Entry(str(e["sha256"]), int(e["size"]), e.get("rows"))
            for name, e in data["entries"].items()
        }
        return Manifest(
            tenant=str(data["tenant"]),
            created_at=str(data["created_at"]),
            platform_version=str(data["platform_version"]),
            backend=str(data["backend"]),
            app=str(data["app"]),
            format_version=version,
            entries=entries,
        )
    except BackupError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"manifest.json is malformed ({exc}).") from None


__all__ = [
    "AUDIT_ENTRY",
    "DATA_DIR",
    "FILES_DIR",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "HISTORY_ENTRY",
    "INTERNAL_DIR",
    "MANIFEST",
    "MEMBERS_ENTRY",
    "PACKAGE_DIR",
    "USERS_ENTRY",
    "BackupError",
    "Entry",
    "Manifest",
    "parse_manifest",
]
