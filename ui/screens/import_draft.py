"""The import wizard's drafts: an uploaded file waiting for its mapping, kept on disk.

A draft is a folder ``<data dir>/imports/<tenant>/drafts/<token>`` with the file
(``source.csv`` or ``source.xlsx``) and ``draft.json`` (entity, owner, file name, mode,
keys, encoding, sheet and the map as the member left it). Only its owner reaches it
(others get 404). Drafts older than a day are removed when a new one is made. The map
of the last import started from the wizard is saved per entity and offered again
(``maps/<entity>.yaml``, platform/imports/mapping.save_map).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trellis.metadata.model.local_text import Translatable
from trellis.platform.imports.errors import ImportRefusedError
from trellis.platform.imports.mapping import ImportMap, load_map, save_map
from trellis.platform.imports.readers import ReadOptions
from trellis.platform.imports.runner import ImportOptions
from trellis.platform.imports.session import ImportPlan
from trellis.platform.records.errors import NotFoundError

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime

#: How long an unused draft is kept.
DRAFT_LIFETIME = timedelta(days=1)
NO_DRAFT = Translatable("No such import draft.")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(slots=True)
class Draft:
    """One uploaded file and the wizard's choices for it."""

    token: str
    entity: str
    user_id: int
    file_name: str
    kind: str
    created_at: str
    mode: str = "insert"
    keys: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    sheet: str | None = None
    map: dict[str, Any] = field(default_factory=dict)
    #: Data rows guessed from the file's line count (for the ETA); None when unknown.
    estimate: int | None = None

    def plan(self, *, dry_run: bool) -> ImportPlan:
        """The import plan of the draft's choices."""
        options = ImportOptions(mode=self.mode, keys=tuple(self.keys), dry_run=dry_run)
        read = ReadOptions(encoding=self.encoding, sheet=self.sheet)
        return ImportPlan(options, read, ImportMap.from_json(self.map or None))


def drafts_root(runtime: Runtime, tenant: str) -> Path:
    """Where a tenant's drafts live."""
    return runtime.config.data_dir / "imports" / tenant / "drafts"


def draft_folder(runtime: Runtime, tenant: str, token: str) -> Path:
    """The folder of draft ``token`` (404 for a malformed token)."""
    if not _TOKEN.match(token):
        raise NotFoundError(NO_DRAFT)
    return drafts_root(runtime, tenant) / token


def draft_source(runtime: Runtime, tenant: str, draft: Draft) -> Path:
    """The draft's uploaded file."""
    return draft_folder(runtime, tenant, draft.token) / f"source.{draft.kind}"


def new_token() -> str:
    """A fresh, unguessable draft token."""
    return secrets.token_urlsafe(18)


def save_draft(runtime: Runtime, tenant: str, draft: Draft) -> None:
    """Write ``draft.json`` (atomically: a temporary file renamed over it)."""
    folder = draft_folder(runtime, tenant, draft.token)
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / "draft.json.part"
    temp.write_text(json.dumps(asdict(draft)), encoding="utf-8")
    temp.replace(folder / "draft.json")


def load_draft(runtime: Runtime, tenant: str, token: str, user_id: int, entity: str) -> Draft:
    """The draft ``token`` of ``user_id`` for ``entity``; 404 for anyone else's or none."""
    path = draft_folder(runtime, tenant, token) / "draft.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotFoundError(NO_DRAFT) from None
    draft = Draft(**data)
    if draft.user_id != user_id or draft.entity != entity:
        raise NotFoundError(NO_DRAFT)
    return draft


def drop_draft(runtime: Runtime, tenant: str, token: str) -> None:
    """Remove a draft and its file."""
    shutil.rmtree(draft_folder(runtime, tenant, token), ignore_errors=True)


def sweep_drafts(runtime: Runtime, tenant: str, now: datetime) -> None:
    """Remove the tenant's drafts older than ``DRAFT_LIFETIME``."""
    root = drafts_root(runtime, tenant)
    if not root.exists():
        return
    for folder in root.iterdir():
        try:
            data = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
            made = datetime.fromisoformat(data["created_at"])
        except (OSError, ValueError, KeyError, TypeError):
            made = None
        stale = made is None and folder.stat().st_mtime < now.timestamp() - 86_400
        if stale or (made is not None and now - made > DRAFT_LIFETIME):
            shutil.rmtree(folder, ignore_errors=True)


def map_path(runtime: Runtime, tenant: str, entity: str) -> Path:
    """The entity's saved map."""
    return runtime.config.data_dir / "imports" / tenant / "maps" / f"{entity}.yaml"


def saved_map(runtime: Runtime, tenant: str, entity: str) -> ImportMap:
    """The map saved by the entity's last wizard import (empty when none or unreadable)."""
    path = map_path(runtime, tenant, entity)
    if not path.exists():
        return ImportMap()
    try:
        return load_map(path)
    except ImportRefusedError:
        return ImportMap()


def remember_map(runtime: Runtime, tenant: str, entity: str, imap: ImportMap) -> None:
    """Save ``imap`` as the entity's map, merged over the one saved before."""
    before = saved_map(runtime, tenant, entity)
    merged = ImportMap(
        {**before.columns, **imap.columns},
        {**before.lookups, **imap.lookups},
        sorted(set(before.create_missing) | set(imap.create_missing)),
        {**before.formats, **imap.formats},
    )
    save_map(merged, map_path(runtime, tenant, entity))


def count_lines(path: Path) -> int:
    """Line breaks in a file (a CSV's data rows, give or take quoted line breaks)."""
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


__all__ = [
    "DRAFT_LIFETIME",
    "NO_DRAFT",
    "Draft",
    "count_lines",
    "draft_folder",
    "draft_source",
    "drafts_root",
    "drop_draft",
    "load_draft",
    "map_path",
    "new_token",
    "remember_map",
    "save_draft",
    "saved_map",
    "sweep_drafts",
]
