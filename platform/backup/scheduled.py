"""Scheduled per-tenant backups: made by the job dispatcher, the newest N kept.

With ``TRELLIS_BACKUP_KEEP`` above 0, each tenant is backed up every
``TRELLIS_BACKUP_EVERY_HOURS`` (the time of the next one is ``backup.next_run`` in its
``_settings``) into ``<data dir>/backups/<tenant>/<tenant>-<UTC time>.zip`` (written
beside its name, then renamed); older archives beyond the newest N are deleted.
Each one is audited (``tenant.backup``). Tenant admins list and download their own
(``list_backups``, ``backup_path``): a name is looked up in the tenant's folder only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from trellis.platform.backup.writer import write_backup
from trellis.platform.db.tables import SETTINGS_TABLE
from trellis.platform.recycle.retention import stamp
from trellis.platform.runtime import Runtime

LOG = logging.getLogger("trellis.backup")
NEXT_RUN_KEY = "backup.next_run"
AUDIT_ACTION = "tenant.backup"
_NAME = re.compile(r"^(?P<tenant>[a-z][a-z0-9-]*)-(?P<at>\d{8}T\d{6}Z)\.zip$")


@dataclass(frozen=True, slots=True)
class StoredBackup:
    """One archive of the tenant's backup folder."""

    name: str
    size: int
    created_at: datetime


def backup_dir(runtime: Runtime, tenant: str) -> Path:
    """``<data dir>/backups/<tenant>``."""
    return runtime.config.data_dir / "backups" / tenant


def list_backups(runtime: Runtime, tenant: str) -> list[StoredBackup]:
    """The tenant's scheduled backups, newest first."""
    folder = backup_dir(runtime, tenant)
    found: list[StoredBackup] = []
    for path in folder.glob("*.zip") if folder.is_dir() else ():
        match = _NAME.match(path.name)
        if match is None or match["tenant"] != tenant:
            continue
        at = datetime.strptime(match["at"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        found.append(StoredBackup(path.name, path.stat().st_size, at))
    return sorted(found, key=lambda b: b.name, reverse=True)


def backup_path(runtime: Runtime, tenant: str, name: str) -> Path | None:
    """The archive ``name`` of ``tenant``'s folder, or None (unknown, or not its name)."""
    match = _NAME.match(name)
    if match is None or match["tenant"] != tenant:
        return None
    path = backup_dir(runtime, tenant) / name
    return path if path.is_file() else None


def _claim(runtime: Runtime, tenant: str, now: datetime) -> bool:
    """Set the next run if this one is due (never run: due); whether it was."""
    metadata = runtime.app(tenant).metadata
    t = metadata.tables[SETTINGS_TABLE]
    following = stamp(now + timedelta(hours=runtime.config.backup_every_hours))
    with runtime.engines.tenant_connection(tenant) as conn:
        value = conn.execute(sa.select(t.c.value).where(t.c.key == NEXT_RUN_KEY)).scalar()
    if value is not None and str(value) > stamp(now):
        return False
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        if value is None:
            try:
                with conn.begin_nested():
                    conn.execute(t.insert().values(key=NEXT_RUN_KEY, value=following))
            except IntegrityError:
                return False  # another dispatcher made it and runs this one
            return True
        done = conn.execute(
            t.update().where(t.c.key == NEXT_RUN_KEY, t.c.value == value).values(value=following)
        )
        return done.rowcount == 1


def run_scheduled_backup(runtime: Runtime, tenant: str, now: datetime) -> Path | None:
    """Back ``tenant`` up when due and prune to the newest N; the archive, or None."""
    keep = runtime.config.backup_keep
    if keep <= 0 or not _claim(runtime, tenant, now):
        return None
    folder = backup_dir(runtime, tenant)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{tenant}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.zip"
    manifest = write_backup(runtime, tenant, target)
    for old in list_backups(runtime, tenant)[keep:]:
        (folder / old.name).unlink(missing_ok=True)
    runtime.registry.audit.record(
        runtime.tenant(tenant).id,
        AUDIT_ACTION,
        actor="jobs",
        actor_user_id=None,
        target=f"backup:{target.name}",
        detail={"entries": len(manifest.entries), "kept": keep},
    )
    return target


__all__ = [
    "AUDIT_ACTION",
    "StoredBackup",
    "backup_dir",
    "backup_path",
    "list_backups",
    "run_scheduled_backup",
]
