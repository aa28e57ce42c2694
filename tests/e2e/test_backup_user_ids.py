"""Cross-installation restore maps user ids by e-mail (issue 17, item 10): a SQLite
backup restored into PostgreSQL, where the same people have other ids, points owners,
authors, user fields, history and audit at the target's accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from trellis.platform.backup.restore import restore_backup
from trellis.platform.backup.writer import write_backup
from trellis.platform.config import RuntimeConfig
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services

from conftest import PG_URL, drop_schemas
from helpers import PackageWriter

THING = "fields:\n  name: {type: string}\n  reviewer: {type: user}\n"
ROLES = "roles:\n  rep:\n    entities:\n      thing: {actions: [create, read, update]}\n"
SECRET = "long enough secret 42"


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    """A SQLite runtime and a PostgreSQL runtime (two installations), side by side."""
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    lite = Runtime(RuntimeConfig(data_dir=tmp_path / "lite", version_check_interval=0.0))
    pg = Runtime(
        RuntimeConfig(
            data_dir=tmp_path / "pg",
            database_url=PG_URL,
            schema_prefix=prefix,
            version_check_interval=0.0,
        )
    )
    yield lite, pg
    lite.close()
    pg.close()
    drop_schemas(PG_URL, prefix)


def _as(runtime: Runtime, user: int) -> tuple[Services, Any]:
    services = Services(runtime)
    identity = runtime.registry.member_identity("acme", user)
    assert identity is not None
    return services, services.call_as("acme", identity)


def _rows(runtime: Runtime, tenant: str, table: str) -> list[dict[str, Any]]:
    with runtime.engines.tenant_connection(tenant) as conn:
        t = runtime.app(tenant).metadata.tables[table]
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


def test_a_sqlite_backup_restored_into_postgres_maps_user_ids_by_email(
    both: tuple[Runtime, Runtime], write_package: PackageWriter, tmp_path: Path
) -> None:
    lite, pg = both
    root = write_package({"thing": THING})
    (root / "roles.yaml").write_text(ROLES, encoding="utf-8")
    reg = lite.registry
    reg.create_tenant("acme")
    publish(lite, "acme", root)
    boss = reg.ensure_user("boss@acme.test", SECRET)
    reg.add_membership("acme", boss, ["admin"])
    ana = reg.ensure_user("ana@acme.test", SECRET)
    reg.add_membership("acme", ana, ["rep"])
    gone = reg.ensure_user("gone@acme.test", SECRET)  # never a member: not in the archive
    services, call = _as(lite, ana)
    entity = call.app.entities["thing"]
    made = services.records.create(call, entity, {"name": "Gear", "reviewer": boss}).record
    services, call = _as(lite, boss)
    services.records.update(call, entity, int(made["id"]), {"name": "Cog", "reviewer": ana}, None)
    other = services.records.create(call, entity, {"name": "Odd", "reviewer": gone}).record
    info = reg.get_tenant("acme")
    assert info is not None
    reg.audit.record(info.id, "test.touch", actor="boss@acme.test", actor_user_id=boss)
    path = tmp_path / "acme.zip"
    write_backup(lite, "acme", path)

    for email in ("zed@x.test", "yan@x.test", "xi@x.test"):  # ids differ over there
        pg.registry.ensure_user(email, SECRET)
    pg_ana = pg.registry.ensure_user("ana@acme.test", "ana's own password 42")
    result = restore_backup(pg, "acme", path, as_name="moved")
    assert result.members is not None and result.members.members == 2
    pg_boss = pg.registry.user_id("boss@acme.test")
    assert pg_boss is not None and {pg_ana, pg_boss}.isdisjoint({ana, boss})

    things = {r["name"]: r for r in _rows(pg, "moved", "thing")}
    cog = things["Cog"]
    assert (cog["owner_id"], cog["created_by"]) == (pg_ana, pg_ana)
    assert (cog["updated_by"], cog["reviewer"]) == (pg_boss, pg_ana)
    odd = things["Odd"]
    assert odd["id"] == other["id"] and odd["owner_id"] == pg_boss
    assert odd["reviewer"] is None  # its user was never a member: unknown here
    changes = [r for r in _rows(pg, "moved", "_changes") if r["record_id"] == cog["id"]]
    assert [r["user_id"] for r in changes] == [pg_ana, pg_boss]
    assert changes[1]["changes"]["reviewer"] == [pg_boss, pg_ana]
    assert changes[0]["changes"]["reviewer"] == [None, pg_boss]
    moved = pg.registry.get_tenant("moved")
    assert moved is not None
    touched = [
        e for e in pg.registry.audit.entries(moved.id, limit=200) if e.action == "test.touch"
    ]
    assert [e.actor_user_id for e in touched] == [pg_boss]
    # Restored where it was written, ids are kept as they are (unlisted ones too).
    restore_backup(lite, "acme", path, as_name="again")
    again = {r["name"]: r for r in _rows(lite, "again", "thing")}
    assert again["Odd"]["reviewer"] == gone and again["Cog"]["created_by"] == ana
