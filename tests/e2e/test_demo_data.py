"""Demo data saved through the save pipeline, on SQLite and PostgreSQL (scale 0.02)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.cli import create_tenant
from trellis.platform.config import RuntimeConfig
from trellis.platform.db.tables import OUTBOX_TABLE, STAGE_HISTORY_TABLE
from trellis.platform.demo_data import DemoResult, create_demo, demo_files, plan_demo
from trellis.platform.runtime import Runtime
from trellis.seed.crm import PACKAGE_PATH
from trellis.tenants.registry.members import list_members

from conftest import PG_URL, drop_schemas

ANCHOR = date(2026, 6, 30)
SCALE = 0.015
ADMIN = "boss@demo-co.test"
FILES = demo_files(Path(str(PACKAGE_PATH)))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Runtime, DemoResult]]:
    """One CRM tenant with its demo, shared by the tests of a backend."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    prefix = f"d{request.param[:2]}{abs(hash(data_dir)) % 10**8}_"
    config = RuntimeConfig(data_dir=data_dir, version_check_interval=0.0)
    if request.param == "postgres":
        config = RuntimeConfig(
            data_dir=data_dir, database_url=PG_URL, schema_prefix=prefix, version_check_interval=0.0
        )
    runtime = Runtime(config)
    create_tenant(runtime, "demo-a", "crm", ADMIN, "long enough secret")
    result = create_demo(runtime, "demo-a", FILES, admin=ADMIN, scale=SCALE, anchor=ANCHOR)
    yield runtime, result
    runtime.close()
    if request.param == "postgres":
        drop_schemas(PG_URL, prefix)


def _rows(runtime: Runtime, tenant: str, entity: str) -> list[dict[str, object]]:
    table = runtime.app(tenant).table(entity)
    with runtime.engines.tenant_connection(tenant) as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def test_every_planned_record_is_saved_with_its_planned_time(
    loaded: tuple[Runtime, DemoResult],
) -> None:
    runtime, result = loaded
    plan = plan_demo(runtime, "demo-a", FILES, scale=SCALE, anchor=ANCHOR)
    assert result.records == plan.counts()
    deals = _rows(runtime, "demo-a", "opportunity")
    planned = [r for r in plan.records if r.entity == "opportunity"]
    assert len(deals) == len(planned) == 12
    for row, plan_row in zip(deals, planned, strict=True):
        assert row["created_at"].replace(tzinfo=UTC) == plan_row.created_at
        assert row["version"] == 1 + len(plan_row.updates)  # one save per history step
        assert row["owner_id"] is not None
    # Rules ran: a deal of 50,000 or more got its follow-up call.
    big = [d for d in deals if d["amount"] is not None and d["amount"] >= 50000]
    calls = [a for a in _rows(runtime, "demo-a", "activity") if a["opportunity"] is not None]
    assert {c["opportunity"] for c in calls} >= {d["id"] for d in big}


def test_rollups_match_the_children(loaded: tuple[Runtime, DemoResult]) -> None:
    runtime, result = loaded
    assert result.rollups_totalled > 0
    deals = _rows(runtime, "demo-a", "opportunity")
    for account in _rows(runtime, "demo-a", "account"):
        mine = [d for d in deals if d["account"] == account["id"]]
        assert account["open_deals"] == sum(d["stage"] not in ("won", "lost") for d in mine)
    payments = _rows(runtime, "demo-a", "payment")
    for order in _rows(runtime, "demo-a", "sales_order"):
        if order["currency"] == "EUR":
            paid = sum(p["amount"] for p in payments if p["sales_order"] == order["id"])
            assert order["paid"] == paid


def test_every_quote_has_lines_and_a_total(loaded: tuple[Runtime, DemoResult]) -> None:
    runtime, _ = loaded
    lines = _rows(runtime, "demo-a", "quote_line")
    quotes = _rows(runtime, "demo-a", "quote")
    assert quotes and len(lines) >= 2 * len(quotes)
    for quote in quotes:
        mine = [line for line in lines if line["quote"] == quote["id"]]
        assert 2 <= len(mine) <= 6 and all(line["description"] for line in mine)
        assert quote["subtotal"] == sum(line["line_total"] for line in mine) > 0
        assert quote["total"] > 0


def test_stage_history_and_workflows_follow_the_plan(loaded: tuple[Runtime, DemoResult]) -> None:
    runtime, result = loaded
    assert result.history_saves > 0
    app = runtime.app("demo-a")
    history = app.metadata.tables[STAGE_HISTORY_TABLE]
    with runtime.engines.tenant_connection("demo-a") as conn:
        moves = conn.execute(sa.select(sa.func.count()).select_from(history)).scalar()
    deals = _rows(runtime, "demo-a", "opportunity")
    assert moves >= sum(d["version"] - 1 for d in deals)
    tickets = _rows(runtime, "demo-a", "ticket")
    assert all(t["resolution"] for t in tickets if t["status"] in ("resolved", "closed"))
    anchor = datetime(2026, 6, 30, tzinfo=UTC)
    assert all(t["updated_at"].replace(tzinfo=UTC) <= anchor for t in tickets)


def test_emails_and_webhooks_are_recorded_not_sent(loaded: tuple[Runtime, DemoResult]) -> None:
    runtime, result = loaded
    assert result.emails_suppressed + result.webhooks_suppressed > 0
    outbox = runtime.app("demo-a").metadata.tables[OUTBOX_TABLE]
    with runtime.engines.tenant_connection("demo-a") as conn:
        kinds = conn.execute(sa.select(outbox.c.kind)).scalars().all()
    assert "email" not in kinds and "webhook" not in kinds


def test_users_sit_in_their_teams(loaded: tuple[Runtime, DemoResult]) -> None:
    runtime, result = loaded
    info = runtime.registry.get_tenant("demo-a")
    assert info is not None
    members = [m for m in list_members(runtime.registry, info.id) if m.email != ADMIN]
    assert result.users == len(members) == 12
    teams = {team for m in members for team in m.teams}
    assert teams == {"sales-north", "sales-south", "support"}
    leads = [m for m in members if "sales_lead" in m.roles]
    assert len(leads) == 2
    reps = [m for m in members if "sales_rep" in m.roles and m.manager_id is not None]
    assert {r.manager_id for r in reps} <= {lead.user_id for lead in leads}


def _digest(runtime: Runtime, tenant: str) -> str:
    digest = hashlib.sha256()
    for name in sorted(runtime.app(tenant).entities):
        for row in _rows(runtime, tenant, name):
            digest.update(repr(sorted((k, str(v)) for k, v in row.items())).encode())
    return digest.hexdigest()


# The plan's determinism is a property test (tests/unit/test_platform/test_demo_generate.py);
# here one backend shows that saving it keeps it, row for row.
@pytest.mark.parametrize("loaded", ["sqlite"], indirect=True)
def test_the_same_seed_and_anchor_store_the_same_rows(loaded: tuple[Runtime, DemoResult]) -> None:
    runtime, _ = loaded
    create_tenant(runtime, "demo-b", "crm", ADMIN, None)
    create_demo(runtime, "demo-b", FILES, admin=ADMIN, scale=SCALE, anchor=ANCHOR)
    assert _digest(runtime, "demo-b") == _digest(runtime, "demo-a")
