"""The tenant backup written before a confirmed destructive publish (platform/backup).

The archive goes to ``<data dir>/backups/<tenant>/``, named after the version it
holds and the time; only the newest ``KEEP_BACKUPS`` stay. Its path, relative to
the data dir, is recorded in the publish's plan and audit entry, and restores with
``trellis restore <tenant> <archive> --replace``.
"""

from __future__ import annotations

from pathlib import Path

from trellis.platform.backup.writer import write_backup
from trellis.platform.runtime import Runtime

#: Folder of the automatic backups, under the data dir.
BACKUP_FOLDER = "backups"
#: Automatic backups kept per tenant (the oldest go first).
KEEP_BACKUPS = 5


def backup_folder(runtime: Runtime, tenant: str) -> Path:
    """Where ``tenant``'s automatic backups are written."""
    return runtime.config.data_dir / BACKUP_FOLDER / tenant


def backup_before_publish(
    runtime: Runtime, tenant: str, version: int | None, *, keep: int = KEEP_BACKUPS
) -> str:
    """Write ``tenant``'s backup now; returns its path relative to the data dir."""
    folder = backup_folder(runtime, tenant)
    stamp = runtime.clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{tenant}-v{version or 0}-{stamp}.zip"
    write_backup(runtime, tenant, target)
    kept = sorted(folder.glob(f"{tenant}-v*.zip"), key=lambda p: p.stem.rsplit("-", 1)[-1])
    for old in kept[: max(len(kept) - keep, 0)]:
        if old != target:
            old.unlink(missing_ok=True)
    return target.relative_to(runtime.config.data_dir).as_posix()


__all__ = ["BACKUP_FOLDER", "KEEP_BACKUPS", "backup_before_publish", "backup_folder"]
