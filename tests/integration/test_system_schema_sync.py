"""The system tables are synced at start only when their declaration changed.

A start whose declared system tables hash as recorded in ``_schema_state`` skips the
Alembic comparison; a changed declaration is synced (the new column appears) and
recorded, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.fingerprint import fingerprint, stored_fingerprint
from trellis.platform.runtime import Runtime, core
from trellis.tenants.registry.tables import build_system_metadata


def _stored(runtime: Runtime) -> str | None:
    schema = runtime.engines.system_schema
    with runtime.engines.system.connect() as conn, conn.begin():
        return stored_fingerprint(conn, schema, "system")


def _columns(runtime: Runtime, table: str) -> set[str]:
    inspector = sa.inspect(runtime.engines.system)
    return {c["name"] for c in inspector.get_columns(table, runtime.engines.system_schema)}


def test_a_start_records_what_it_synced_and_the_next_one_skips_the_comparison(
    config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime(config)
    try:
        schema = runtime.engines.system_schema
        declared = fingerprint(build_system_metadata(schema), runtime.engines.system.dialect)
        assert _stored(runtime) == declared
    finally:
        runtime.close()

    def compared(*_args: object) -> None:
        raise AssertionError("an unchanged declaration was compared with the database")

    monkeypatch.setattr(core, "plan_sync", compared)
    Runtime(config).close()


def test_a_changed_declaration_is_synced_and_recorded(
    config: RuntimeConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    Runtime(config).close()

    def with_a_new_column(schema: str | None = None) -> sa.MetaData:
        metadata = build_system_metadata(schema)
        tenants = next(t for t in metadata.tables.values() if t.name == "tenants")
        tenants.append_column(sa.Column("nickname", sa.String(40)))
        return metadata

    monkeypatch.setattr(core, "build_system_metadata", with_a_new_column)
    runtime = Runtime(config)
    try:
        assert "nickname" in _columns(runtime, "tenants")
        schema = runtime.engines.system_schema
        changed = fingerprint(with_a_new_column(schema), runtime.engines.system.dialect)
        assert _stored(runtime) == changed
        assert changed != fingerprint(build_system_metadata(schema), runtime.engines.system.dialect)
    finally:
        runtime.close()
