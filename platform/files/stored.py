"""A file field's stored value: the metadata of its files, as the record JSON shows it.

A single file field holds one object (or null), a ``multiple`` field a list of them;
a ``versioned`` field's object keeps the files it replaced in ``versions``, newest
first. Each object is ``{id, name, size, content_type, uploaded_at, uploaded_by}``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trellis.metadata.model import FieldDef
from trellis.platform.records.values import to_json

FileJson = dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewFile:
    """What an upload adds: its cleaned name, size and sniffed type."""

    name: str
    size: int
    content_type: str


def new_file_id() -> str:
    """A fresh, unguessable file id."""
    return "f" + secrets.token_hex(12)


def file_json(file_id: str, new: NewFile, at: datetime, user_id: int | None) -> FileJson:
    """The metadata object of an uploaded file."""
    return {
        "id": file_id,
        "name": new.name,
        "size": new.size,
        "content_type": new.content_type,
        "uploaded_at": to_json(at, None),
        "uploaded_by": user_id,
    }


def current_files(f: FieldDef, value: Any) -> list[FileJson]:
    """The field's current files (without earlier versions)."""
    if value is None:
        return []
    if f.multiple:
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    return [value] if isinstance(value, dict) else []


def all_files(f: FieldDef, value: Any) -> list[FileJson]:
    """The current files and every earlier version (a version has no ``versions``)."""
    found: list[FileJson] = []
    for item in current_files(f, value):
        found.append(item)
        found.extend(v for v in item.get("versions") or () if isinstance(v, dict))
    return found


def find_file(f: FieldDef, value: Any, file_id: str) -> FileJson | None:
    """The file (current or earlier version) with id ``file_id``."""
    return next((item for item in all_files(f, value) if item.get("id") == file_id), None)


def with_upload(f: FieldDef, value: Any, added: FileJson) -> tuple[Any, list[str]]:
    """The field's value after an upload, and the ids of files it drops.

    ``multiple`` appends; ``versioned`` keeps the replaced file (and its versions) in
    the new file's ``versions``; otherwise the new file replaces the old one.
    """
    if f.multiple:
        return [*current_files(f, value), added], []
    old = value if isinstance(value, dict) else None
    if old is None:
        return (dict(added, versions=[]) if f.versioned else added), []
    if f.versioned:
        earlier = [{k: v for k, v in old.items() if k != "versions"}, *(old.get("versions") or [])]
        return dict(added, versions=earlier), []
    return added, [str(old.get("id"))]


def without_file(f: FieldDef, value: Any, file_id: str) -> tuple[Any, list[str]]:
    """The field's value without current file ``file_id`` (with its versions), and the
    ids of the files removed; nothing removed when it is not a current file."""
    current = current_files(f, value)
    gone = [item for item in current if item.get("id") == file_id]
    if not gone:
        return value, []
    removed = [str(i.get("id")) for i in all_files(f, gone if f.multiple else gone[0])]
    if f.multiple:
        return [item for item in current if item.get("id") != file_id], removed
    return None, removed


__all__ = [
    "FileJson",
    "NewFile",
    "all_files",
    "current_files",
    "file_json",
    "find_file",
    "new_file_id",
    "with_upload",
    "without_file",
]
