"""Export jobs on disk: ``<data dir>/exports/<tenant>/<id>/`` holds ``state.json`` and the file.

Each state change rewrites ``state.json`` whole (temp + rename), so a reader never
sees half of it; the finished file appears the same way.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from trellis.platform.config import RuntimeConfig

STATE_FILE = "state.json"
_ID = re.compile(r"^[0-9a-f]{16}$")


def new_id() -> str:
    """A fresh, unguessable export id (16 hex digits)."""
    return secrets.token_hex(8)


def tenant_folder(config: RuntimeConfig, tenant: str) -> Path:
    """Where a tenant's export jobs live."""
    return config.data_dir / "exports" / tenant


def job_folder(config: RuntimeConfig, tenant: str, export_id: str) -> Path | None:
    """An export's folder, or None for an id that cannot be one."""
    if not _ID.match(export_id):
        return None
    return tenant_folder(config, tenant) / export_id


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save_state(folder: Path, state: dict[str, Any]) -> None:
    """Rewrite the job's state."""
    write_atomically(folder / STATE_FILE, json.dumps(state, sort_keys=True).encode())


def load_state(folder: Path | None) -> dict[str, Any] | None:
    """The job's state, or None when there is no such job."""
    if folder is None:
        return None
    try:
        data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def update_state(folder: Path, **changes: Any) -> dict[str, Any]:
    """Change some keys of the job's state; the new state."""
    state = load_state(folder) or {}
    state.update(changes)
    save_state(folder, state)
    return state


def purge_expired(config: RuntimeConfig, tenant: str, now: datetime) -> int:
    """Remove the export jobs of ``tenant`` whose link expired; how many were removed."""
    root = tenant_folder(config, tenant)
    if not root.is_dir():
        return 0
    removed = 0
    for folder in root.iterdir():
        state = load_state(folder) if folder.is_dir() else None
        expires = (state or {}).get("expires_at")
        if isinstance(expires, str) and datetime.fromisoformat(expires) <= now:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


__all__ = [
    "STATE_FILE",
    "job_folder",
    "load_state",
    "new_id",
    "purge_expired",
    "save_state",
    "tenant_folder",
    "update_state",
    "write_atomically",
]
