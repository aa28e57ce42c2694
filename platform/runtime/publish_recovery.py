"""A publish on SQLite cut short between its two commits is finished at the next start.

On SQLite the tenant's schema (its own file) and the metadata version (the system file)
commit one after the other. So that a kill -9 between them cannot leave the schema ahead
of the version, the schema's transaction also writes the version it belongs to into a
``_publish_pending`` table of the tenant file, and a marker file
``<data dir>/publishing/<tenant>`` says where to look. After the system commit, the table
and the marker go. A process that starts (or the tenant's next publish) finding a marker
rolls the publish forward: the schema committed, so the version is recorded from the
pending row (audited as ``metadata.publish`` with ``recovered: true``); with no pending
row the schema never committed and only the marker goes. PostgreSQL needs none of this:
its schema and version commit in one transaction.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.authz.enforcers import store_published

if TYPE_CHECKING:
    from trellis.platform.runtime.core import Runtime
    from trellis.tenants.registry import TenantInfo

LOG = logging.getLogger(__name__)
PENDING_TABLE = "_publish_pending"


def _pending() -> sa.Table:
    """The ``_publish_pending`` table of a tenant file (built per use: no shared state)."""
    return sa.Table(
        PENDING_TABLE,
        sa.MetaData(),
        sa.Column("version_no", sa.Integer(), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )


def _marker(runtime: Runtime, tenant: str) -> Path:
    return runtime.config.data_dir / "publishing" / tenant


def write_pending(
    runtime: Runtime, conn: sa.Connection, tenant: str, version_no: int, data: dict[str, Any]
) -> None:
    """In the schema's transaction ``conn``: note the version it belongs to, and mark it."""
    marker = _marker(runtime, tenant)
    marker.parent.mkdir(parents=True, exist_ok=True)
    with marker.open("w", encoding="utf-8") as out:
        out.write(str(version_no))
        out.flush()
        os.fsync(out.fileno())
    table = _pending()
    table.create(conn, checkfirst=True)
    conn.execute(table.delete())
    conn.execute(table.insert().values(version_no=version_no, data=data))


def finish_pending(runtime: Runtime, tenant: str) -> None:
    """After the version's commit: drop the pending table, then the marker."""
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        _pending().drop(conn, checkfirst=True)
    _marker(runtime, tenant).unlink(missing_ok=True)


def recover_publish(runtime: Runtime, tenant: str) -> int | None:
    """Finish ``tenant``'s cut-short publish, if any; returns the version recorded.

    Runs under the tenant file's write lock, and records the version under the system
    file's, checking there that it is still missing: a publish still finishing in
    another process is waited for, never recorded twice.
    """
    if runtime.engines.system_schema is not None or not _marker(runtime, tenant).exists():
        return None
    info = runtime.registry.get_tenant(tenant)
    recorded = None
    table = _pending()
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        row = None
        if sa.inspect(conn).has_table(PENDING_TABLE):
            row = conn.execute(sa.select(table)).first()
        if info is not None and row is not None:
            recorded = _record(runtime, info, int(row.version_no), dict(row.data))
        table.drop(conn, checkfirst=True)
    _marker(runtime, tenant).unlink(missing_ok=True)
    if recorded is not None:
        LOG.warning("finished the publish of %s cut short: version %s", tenant, recorded)
        runtime.registry.changed(tenant, "publish")
        store_published(runtime.policies, tenant, runtime.app(tenant).model)
    return recorded


def recover_publishes(runtime: Runtime) -> None:
    """At start: finish every publish a marker names (SQLite)."""
    folder = runtime.config.data_dir / "publishing"
    if runtime.engines.system_schema is not None or not folder.is_dir():
        return
    for marker in sorted(folder.iterdir()):
        recover_publish(runtime, marker.name)


def _record(runtime: Runtime, info: TenantInfo, pending: int, data: dict[str, Any]) -> int | None:
    """Record the pending version unless version ``pending`` exists by now."""
    registry = runtime.registry
    v = registry.versions
    with registry.connect(write=True) as conn, conn.begin():
        registry.lock_tenant(conn, info.id)
        exists = conn.execute(
            sa.select(v.c.id).where(v.c.tenant_id == info.id, v.c.version_no == pending)
        ).first()
        if exists is not None:
            return None
        version_no = registry.record_version(
            conn,
            info,
            app_name=str(data["app_name"]),
            app_version=str(data["app_version"]),
            digest=str(data["digest"]),
            files=dict(data["files"]),
            plan=str(data["plan"]),
            published_by=data.get("published_by"),
        )
        registry.audit.record(
            info.id,
            "metadata.publish",
            actor=data.get("published_by"),
            target=f"version:{version_no}",
            detail={**dict(data.get("audit", {})), "version": version_no, "recovered": True},
            conn=conn,
        )
    return version_no


__all__ = [
    "PENDING_TABLE",
    "finish_pending",
    "recover_publish",
    "recover_publishes",
    "write_pending",
]
