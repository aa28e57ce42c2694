"""A PostgreSQL connection the server drops mid-request fails as an outage and is replaced.

Regression: the engine's rollback hook read ``Connection.info`` of the invalidated
connection, which raised ``PendingRollbackError`` inside the rollback (a 500 instead
of a 503 while PostgreSQL restarted).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.engines import EngineRegistry
from trellis.platform.db.outages import UNAVAILABLE, classify

from conftest import PG_URL


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[EngineRegistry]:
    config = RuntimeConfig(
        data_dir=tmp_path, database_url=PG_URL, schema_prefix=f"x{uuid.uuid4().hex[:10]}_"
    )
    registry = EngineRegistry(config)
    yield registry
    registry.dispose()


def test_a_dropped_connection_is_an_outage_and_the_pool_reconnects(
    engines: EngineRegistry,
) -> None:
    for write in (False, True):
        with engines.tenant_connection("acme", write=write) as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engines.system.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
                other.commit()
            with pytest.raises(sa.exc.OperationalError) as caught:
                conn.exec_driver_sql("SELECT 1")
            assert conn.invalidated and classify(caught.value) is UNAVAILABLE
        # Leaving the block rolled the dead connection back without raising; the next
        # checkout gets a live connection from the same engine.
        with engines.tenant_connection("acme") as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
