"""The per-tenant publish lock: one publish or rollback at a time, and who holds it.

The schema change itself already runs under the tenant's database lock
(platform/publish); this row makes a second admin's publish fail at once with the
name of whoever is publishing, instead of waiting behind it. A lock left by a
process of this host that no longer runs, or older than ``STALE_AFTER`` (a crashed
process elsewhere), is taken over.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from trellis.platform.drafts.errors import PublishLockedError
from trellis.tenants.registry import TenantRegistry
from trellis.tenants.registry.entries import aware

#: A lock held longer than this is a leftover of a crashed process.
STALE_AFTER = timedelta(minutes=15)


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:300]


def _alive(process: str) -> bool:
    """Whether the process that took a lock may still run (other hosts: assume so)."""
    host, _, pid = process.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publish_lock(
    registry: TenantRegistry, tenant_id: int, holder: str, purpose: str
) -> Iterator[None]:
    """Hold the tenant's publish lock for the ``with`` block.

    Raises:
        PublishLockedError: someone else holds it (named in the message).
    """
    table = registry.metadata.tables["metadata_publish_locks"]
    now = registry.now()
    with registry.connect(write=True) as conn, conn.begin():
        registry.lock_tenant(conn, tenant_id)
        row = conn.execute(sa.select(table).where(table.c.tenant_id == tenant_id)).first()
        if row is not None:
            since = aware(row.acquired_at) or now
            if now - since < STALE_AFTER and _alive(row.process):
                raise PublishLockedError(row.holder, row.purpose, since.isoformat())
            conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
        conn.execute(
            table.insert().values(
                tenant_id=tenant_id,
                holder=holder[:254],
                purpose=purpose[:60],
                process=_this_process(),
                acquired_at=now,
            )
        )
    try:
        yield
    finally:
        with registry.connect(write=True) as conn, conn.begin():
            conn.execute(
                table.delete().where(
                    table.c.tenant_id == tenant_id, table.c.process == _this_process()
                )
            )


__all__ = ["STALE_AFTER", "publish_lock"]
