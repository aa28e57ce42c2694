"""``trellis backup``: one consistent snapshot of a tenant, written as a zip archive.

Every row is read in one transaction: REPEATABLE READ on PostgreSQL (the audit rows,
in the system schema, are read through the same connection and snapshot), one read
transaction on SQLite (the audit and member rows, in the system file, right after).
The members (``members/members.jsonl``) are read like the audit rows. The archive
is written beside its final name and renamed over it at the end.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import AppModel, FieldType
from trellis.metadata.model.roles import ADMIN_ROLE
from trellis.platform.app_packages.export import canonical_package, current_version
from trellis.platform.backup.archive_io import write_bytes, write_chunks, write_lines
from trellis.platform.backup.manifest import (
    AUDIT_ENTRY,
    FILES_DIR,
    MANIFEST,
    MEMBERS_ENTRY,
    PACKAGE_DIR,
    USERS_ENTRY,
    BackupError,
    Manifest,
)
from trellis.platform.backup.members import member_rows, members_query
from trellis.platform.backup.tables import archived_tables, order_by
from trellis.platform.backup.user_ids import user_rows, users_query
from trellis.platform.backup.user_refs import UserRefs
from trellis.platform.backup.values import to_json
from trellis.platform.config.version import __version__
from trellis.platform.db.tables import build_metadata
from trellis.platform.files.factory import file_store
from trellis.platform.files.store import file_key
from trellis.platform.files.stored import all_files
from trellis.platform.runtime import Runtime

#: Rows fetched from the database at a time.
BATCH = 1000


def _rows(conn: sa.Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    query = sa.select(table).order_by(*order_by(table))
    result = conn.execution_options(yield_per=BATCH).execute(query)
    for row in result.mappings():
        yield {k: to_json(v) for k, v in row.items()}


def _noting_files(
    model: AppModel, table: sa.Table, rows: Iterator[dict[str, Any]], keys: list[str]
) -> Iterator[dict[str, Any]]:
    """Pass rows through, adding the store key of every file their file fields hold."""
    entity = model.entities.get(table.name)
    fields = [f for f in entity.fields.values() if f.type == FieldType.FILE] if entity else []
    for row in rows:
        for f in fields:
            for item in all_files(f, row.get(f.name)):
                keys.append(file_key(table.name, int(row["id"]), f.name, str(item["id"])))
        yield row


def _write(runtime: Runtime, tenant: str, archive: zipfile.ZipFile) -> Manifest:
    info = runtime.tenant(tenant, fresh=True)
    version = current_version(runtime, tenant)
    app = runtime.app(tenant)
    manifest = Manifest(
        tenant=tenant,
        created_at=runtime.clock.now().isoformat(),
        platform_version=__version__,
        backend="postgresql" if runtime.engines.system_schema is not None else "sqlite",
        app=f"{app.model.name} {app.model.version}",
    )
    entries = manifest.entries
    for path, text in canonical_package(version.files).items():
        entries[PACKAGE_DIR + path] = write_bytes(archive, PACKAGE_DIR + path, text.encode())
    keys: list[str] = []
    audit_query = runtime.registry.audit.backup_query(info.id)
    people = members_query(runtime.registry, info.id)
    ids = users_query(runtime.registry, info.id)
    held: set[str] = set()
    refs = UserRefs()  # the users the rows refer to, for the users file (written last)
    users = runtime.registry.users
    with runtime.engines.tenant_connection(tenant) as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # the stored text: encrypted fields stay ciphertext, their data keys (wrapped
            # by the master key) travel in internal/_data_keys.jsonl
            for name, table in archived_tables(app.model, build_metadata(app.model)):
                rows = refs.rows(app.model, table, _rows(conn, table))
                rows = _noting_files(app.model, table, rows, keys)
                entries[name] = write_lines(archive, name, rows)
            if conn.dialect.name == "postgresql":  # same snapshot, the system schema
                system = {None: runtime.engines.system_schema}
                audit_conn = conn.execution_options(schema_translate_map=system)
                entries[AUDIT_ENTRY] = write_lines(
                    archive, AUDIT_ENTRY, refs.audit(_audit(audit_conn, audit_query))
                )
                entries[MEMBERS_ENTRY] = write_lines(
                    archive, MEMBERS_ENTRY, _noting_roles(member_rows(audit_conn, people), held)
                )
                entries[USERS_ENTRY] = write_lines(
                    archive, USERS_ENTRY, user_rows(audit_conn, ids, users, refs)
                )
    if AUDIT_ENTRY not in entries:
        with runtime.engines.system_connection() as sys_conn, sys_conn.begin():
            entries[AUDIT_ENTRY] = write_lines(
                archive, AUDIT_ENTRY, refs.audit(_audit(sys_conn, audit_query))
            )
            entries[MEMBERS_ENTRY] = write_lines(
                archive, MEMBERS_ENTRY, _noting_roles(member_rows(sys_conn, people), held)
            )
            entries[USERS_ENTRY] = write_lines(
                archive, USERS_ENTRY, user_rows(sys_conn, ids, users, refs)
            )
    if runtime.tenant(tenant, fresh=True).current_version != version.version_no:
        raise BackupError(f"'{tenant}' was published during the backup: run it again.")
    manifest.unknown_roles = sorted(held - {ADMIN_ROLE, *app.model.roles})
    store = file_store(runtime.config)
    for key in keys:
        if store.exists(tenant, key):
            entries[FILES_DIR + key] = write_chunks(
                archive, FILES_DIR + key, iter(store.chunks(tenant, key))
            )
    return manifest


def _noting_roles(rows: Iterator[dict[str, Any]], roles: set[str]) -> Iterator[dict[str, Any]]:
    for row in rows:
        roles.update(row["roles"])
        yield row


def _audit(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[dict[str, Any]]:
    for row in conn.execute(query).mappings():
        yield {k: to_json(v) for k, v in row.items() if k != "tenant_id"}


def write_backup(runtime: Runtime, tenant: str, target: Path) -> Manifest:
    """Write ``tenant``'s backup to ``target`` (appears whole, or not at all).

    Raises:
        TenantNotFoundError: unknown tenant.
        ExportError: nothing published yet.
        BackupError: a publish happened while reading.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                manifest = _write(runtime, tenant, archive)
                write_bytes(archive, MANIFEST, manifest.to_bytes())
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return manifest


__all__ = ["write_backup"]
