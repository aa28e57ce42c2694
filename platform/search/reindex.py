"""``trellis search reindex``: rebuild a tenant's search index from its records."""

from __future__ import annotations

from trellis.platform.runtime import Runtime
from trellis.platform.search.schema import IndexSync, sync_index


def reindex(runtime: Runtime, tenant: str) -> IndexSync:
    """Create missing index tables and refill every entity's index, in one transaction.

    Raises:
        TenantNotFoundError: unknown tenant or nothing published yet.
    """
    app = runtime.app(tenant)
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        return sync_index(conn, app, rebuild_all=True)


__all__ = ["reindex"]
