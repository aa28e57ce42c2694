"""``trellis restore``: a verified archive becomes a tenant again, rows as they were.

A restore is not a series of saves: rows go in with their ids, versions, owners and
timestamps, without validations, formulas, rules or side effects (docs/backup.md).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trellis.metadata.loader import load_package
from trellis.metadata.model import AppModel
from trellis.metadata.model.local_text import Translatable
from trellis.metadata.model.roles import ADMIN_ROLE
from trellis.platform.app_packages.export import write_package
from trellis.platform.backup.former_users import FormerResult, restore_former
from trellis.platform.backup.manifest import (
    AUDIT_ENTRY,
    FILES_DIR,
    MEMBERS_ENTRY,
    USERS_ENTRY,
    BackupError,
)
from trellis.platform.backup.members import MembersResult, check_members, restore_members
from trellis.platform.backup.tables import archived_tables, drop_tenant_tables, reset_sequences
from trellis.platform.backup.user_ids import (
    ArchivedUser,
    audit_rewriter,
    check_users,
    row_rewriter,
    user_map,
)
from trellis.platform.backup.user_refs import Rewrite
from trellis.platform.backup.values import from_json
from trellis.platform.backup.verify import VerifiedArchive, verify_archive
from trellis.platform.config import check_tenant_name
from trellis.platform.db.tables import build_metadata
from trellis.platform.files.factory import file_store
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.search.reindex import reindex

#: Rows inserted per statement.
BATCH = 1000


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What a restore did: the tenant, rows per archive entry, files put back, members
    (None: the archive holds none, an archive of format 1) and former members."""

    tenant: str
    rows: dict[str, int]
    files: int
    members: MembersResult | None = None
    former: FormerResult | None = None


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    with archive.open(name) as entry:
        for line in entry:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise BackupError(f"A row of '{name}' is not an object.")
            yield row


def _converted(
    archive: zipfile.ZipFile, name: str, table: sa.Table, rewrite: Rewrite | None = None
) -> Iterator[dict[str, Any]]:
    for row in _lines(archive, name):
        unknown = set(row) - set(table.c.keys())
        if unknown:
            raise BackupError(f"'{name}' has columns its package lacks: {sorted(unknown)}.")
        if rewrite is not None:
            kept = rewrite(row)
            if kept is None:
                continue  # a row that cannot be without a user the archive does not list
            row = kept
        try:
            yield {k: from_json(table.c[k], v) for k, v in row.items()}
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise BackupError(f"'{name}' holds a value that does not fit: {exc}.") from None


#: The checked member rows (roles the app lacks removed), the dropped (email, role)
#: pairs and the archived users by id (empty before format 3).
Members = tuple[list[dict[str, Any]], tuple[tuple[str, str], ...], dict[int, ArchivedUser]]


def _plan(
    verified: VerifiedArchive, folder: Path
) -> tuple[AppModel, list[tuple[str, sa.Table]], Members | None]:
    """Load the package and convert every row once (a dry run); returns the tables and
    the checked members (None when the archive has no members file)."""
    write_package(verified.package, folder)
    model = load_package(folder)
    tables = archived_tables(model, build_metadata(model))
    names = {name for name, _ in tables}
    listed = {n for n, e in verified.manifest.entries.items() if e.rows is not None}
    if listed - names - {AUDIT_ENTRY, MEMBERS_ENTRY, USERS_ENTRY}:
        raise BackupError(f"Rows for tables the package lacks: {sorted(listed - names)[:3]}.")
    members: Members | None = None
    with zipfile.ZipFile(verified.path) as archive:
        for name, table in tables:
            if name in verified.manifest.entries:
                for _ in _converted(archive, name, table):
                    pass
        if MEMBERS_ENTRY in verified.manifest.entries:
            rows = list(_lines(archive, MEMBERS_ENTRY))
            kept, dropped = check_members(rows, {ADMIN_ROLE, *model.roles})
            users: dict[int, ArchivedUser] = {}
            if USERS_ENTRY in verified.manifest.entries:
                users = check_users(_lines(archive, USERS_ENTRY), [r["email"] for r in rows])
            members = (kept, dropped, users)
    return model, tables, members


def _check_target(runtime: Runtime, target: str, replace: bool) -> bool:
    """Whether ``target`` exists; refuses an existing one without ``replace``."""
    check_tenant_name(target)
    exists = runtime.registry.get_tenant(target) is not None
    if exists and not replace:
        raise BackupError(
            Translatable(
                "Tenant '%(tenant)s' exists: add --replace to overwrite it, or --as NEW.",
                tenant=target,
            )
        )
    return exists


def _insert(
    runtime: Runtime, target: str, archive: zipfile.ZipFile, tables: list[tuple[str, sa.Table]],
    entries: set[str], rewriters: Callable[[sa.Table], Rewrite | None],
) -> dict[str, int]:  # fmt: skip
    counts: dict[str, int] = {}
    with runtime.engines.tenant_connection(target, write=True) as conn, conn.begin():
        for name, table in tables:
            conn.execute(table.delete())  # what the publish seeded gives way to the backup
            counts[name] = 0
            if name not in entries:
                continue
            batch: list[dict[str, Any]] = []
            for row in _converted(archive, name, table, rewriters(table)):
                batch.append(row)
                if len(batch) >= BATCH:
                    conn.execute(table.insert(), batch)
                    counts[name] += len(batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
                counts[name] += len(batch)
        reset_sequences(conn, [table for _, table in tables])
    return counts


def restore_backup(
    runtime: Runtime, tenant: str, path: Path, *, as_name: str | None = None,
    replace: bool = False, actor: str | None = None,
) -> RestoreResult:  # fmt: skip
    """Restore the backup of ``tenant`` at ``path`` (as ``as_name`` when given).

    Raises:
        BackupError: the archive fails a check, is of another tenant, or the target
            exists without ``replace``; nothing was changed.
    """
    verified = verify_archive(path)
    if verified.manifest.tenant != tenant:
        raise BackupError(
            Translatable(
                "The archive is a backup of '%(found)s', not '%(tenant)s'.",
                found=verified.manifest.tenant,
                tenant=tenant,
            )
        )
    target = as_name or tenant
    exists = _check_target(runtime, target, replace)
    with tempfile.TemporaryDirectory(prefix="trellis-restore-") as temp:
        folder = Path(temp) / "package"
        model, tables, members = _plan(verified, folder)
        if exists:
            with runtime.engines.tenant_connection(target, write=True) as conn, conn.begin():
                drop_tenant_tables(conn)
        else:
            runtime.registry.create_tenant(target)
        runtime.forget(target)
        publish(runtime, target, folder, published_by=actor or "restore")
    runtime.forget(target)
    info = runtime.tenant(target, fresh=True)
    entries = set(verified.manifest.entries)
    store = file_store(runtime.config)
    restored, former, remap = None, None, None
    if members is not None:  # first: the members' ids here are what user references become
        restored = restore_members(runtime, target, members[0], actor, members[1])
        former = restore_former(runtime, target, members[2], actor)
        archived = {ident: user.email for ident, user in members[2].items()}
        remap = user_map(archived, {**dict(restored.user_ids), **dict(former.user_ids)})
    runtime.forget(target)

    def rewriters(table: sa.Table) -> Rewrite | None:
        return None if remap is None else row_rewriter(model, table, remap)

    with zipfile.ZipFile(path) as archive:
        counts = _insert(runtime, target, archive, tables, entries, rewriters)
        audit_rows = list(_lines(archive, AUDIT_ENTRY)) if AUDIT_ENTRY in entries else []
        if remap is not None:
            audit_rows = [audit_rewriter(remap)(r) for r in audit_rows]
        audit = runtime.registry.audit
        with runtime.engines.system_connection(write=True) as sys_conn, sys_conn.begin():
            audit.restore(info.id, [_audit_row(r) for r in audit_rows], sys_conn)
            detail = {
                "from": tenant,
                "archive": path.name,
                "created_at": verified.manifest.created_at,
            }
            audit.record(info.id, "tenant.restore", actor=actor, detail=detail, conn=sys_conn)
        files = [n for n in entries if n.startswith(FILES_DIR)]
        for name in files:
            with archive.open(name) as source:
                store.put(target, name[len(FILES_DIR) :], source)  # type: ignore[arg-type]
    runtime.forget(target)
    reindex(runtime, target)
    return RestoreResult(target, counts, len(files), restored, former)


def _audit_row(row: dict[str, Any]) -> dict[str, Any]:
    at = datetime.fromisoformat(str(row["at"]))
    return {**row, "at": at if at.tzinfo is not None else at.replace(tzinfo=UTC)}


__all__ = ["RestoreResult", "restore_backup"]
