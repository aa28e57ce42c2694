"""Two servers started together on one fresh data store both come up on the demo tenant."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime
from trellis.serve_cli import DEMO_TENANT, ensure_demo


def test_a_server_that_loses_the_demo_creation_race_serves_the_winners_tenant(
    config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = Runtime(config), Runtime(config)
    try:
        looked_up = second.registry.get_tenant
        created: list[object] = []

        def stale_lookup(name: str) -> object:
            # The other server creates the tenant between this server's check and its insert.
            if not created:
                created.append(ensure_demo(first))
                return None
            return looked_up(name)

        monkeypatch.setattr(second.registry, "get_tenant", stale_lookup)
        assert ensure_demo(second) is None  # it did not create, and did not fail
        assert created[0] is not None  # the winner wrote the credentials file
        assert looked_up(DEMO_TENANT) is not None
        assert [t.name for t in first.registry.list_tenants()].count(DEMO_TENANT) == 1
        # The winner filled the tenant with the CRM demo at the configured scale (0.05).
        accounts = first.app(DEMO_TENANT).table("account")
        with first.engines.tenant_connection(DEMO_TENANT) as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(accounts)).scalar()
        assert count == round(500 * config.demo_scale) == 25
    finally:
        first.close()
        second.close()
