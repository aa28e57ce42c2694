"""Publishing packages: additive schema sync, dry runs, versions, failures that change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trellis.metadata.diagnostics import MetadataError
from trellis.platform.db.sync import SchemaSyncError
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime

from helpers import PackageWriter

DEAL_V1 = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true, max_length: 80}
      amount: {type: money, min: 0}
"""
DEAL_V2 = """
    label: Deal
    title: name
    fields:
      name: {type: string, required: true, max_length: 80}
      amount: {type: money, min: 0}
      stage: {type: enum, options: [open, won, lost], default: '"open"'}
      code: {type: string, unique: true}
"""
NOTE = """
    label: Note
    fields:
      body: {type: text, required: true}
      deal: {type: reference, to: deal}
"""


def _columns(runtime: Runtime, tenant: str, table: str) -> set[str]:
    with runtime.engines.tenant_connection(tenant) as conn:
        schema = runtime.engines.tenant_schema(tenant)
        return {c["name"] for c in sa.inspect(conn).get_columns(table, schema=schema)}


def _tables(runtime: Runtime, tenant: str) -> set[str]:
    with runtime.engines.tenant_connection(tenant) as conn:
        return set(sa.inspect(conn).get_table_names(schema=runtime.engines.tenant_schema(tenant)))


def _insert_deals(runtime: Runtime, tenant: str, names: list[str]) -> None:
    app = runtime.app(tenant)
    table = app.table("deal")
    now = sa.func.current_timestamp()
    with runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
        for name in names:
            conn.execute(
                table.insert().values(
                    name=name, amount=10, created_at=now, updated_at=now, version=1
                )
            )


def test_v2_adds_field_and_entity_and_keeps_rows(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    first = publish(runtime, "acme", write_package({"deal": DEAL_V1}))
    assert first.version_no == 1
    assert {"deal", "_changes"} <= _tables(runtime, "acme")
    _insert_deals(runtime, "acme", ["a", "b", "c"])

    second = publish(
        runtime, "acme", write_package({"deal": DEAL_V2, "note": NOTE}, version="2.0.0")
    )
    assert second.version_no == 2
    assert "+ add column deal stage" in second.plan.render()
    assert "+ create table note" in second.plan.render()
    assert {"stage", "code"} <= _columns(runtime, "acme", "deal")
    assert "note" in _tables(runtime, "acme")
    with runtime.engines.tenant_connection("acme") as conn:
        names = conn.execute(sa.select(runtime.app("acme").table("deal").c.name)).scalars().all()
    assert sorted(names) == ["a", "b", "c"]
    assert runtime.tenant("acme", fresh=True).current_version == 2


def test_dry_run_prints_plan_and_changes_nothing(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"deal": DEAL_V1}))
    result = publish(runtime, "acme", write_package({"deal": DEAL_V2}), dry_run=True)
    assert result.dry_run
    assert "add column deal stage" in result.render()
    assert "Dry run: nothing was applied." in result.render()
    assert "stage" not in _columns(runtime, "acme", "deal")
    assert runtime.tenant("acme", fresh=True).current_version == 1


def test_dropped_field_is_reported_not_executed(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"deal": DEAL_V2}))
    result = publish(runtime, "acme", write_package({"deal": DEAL_V1}, version="3.0.0"))
    skipped = [str(s) for s in result.plan.skipped]
    assert any("drop column deal stage" in s for s in skipped), skipped
    assert "stage" in _columns(runtime, "acme", "deal")


def test_narrowing_a_column_is_reported_not_executed(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"deal": DEAL_V1}))
    narrower = DEAL_V1.replace("max_length: 80", "max_length: 20")
    result = publish(runtime, "acme", write_package({"deal": narrower}, version="1.1.0"))
    skipped = [str(s) for s in result.plan.skipped]
    assert any("alter column deal name" in s for s in skipped), skipped


def test_republishing_the_same_package_is_a_no_op(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    package = write_package({"deal": DEAL_V1})
    publish(runtime, "acme", package)
    again = publish(runtime, "acme", package)
    assert again.unchanged
    assert again.plan.steps == []
    assert runtime.tenant("acme", fresh=True).current_version == 1


def test_unique_over_duplicates_fails_and_changes_nothing(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"deal": DEAL_V1}))
    _insert_deals(runtime, "acme", ["same", "same", "other"])
    unique_name = DEAL_V1.replace("max_length: 80}", "max_length: 80, unique: true}")
    package = write_package(
        {
            "deal": unique_name.replace("amount:", "extra: {type: integer}\n      amount:"),
            "note": NOTE,
        },
        version="2.0.0",
    )
    with pytest.raises(SchemaSyncError, match="name='same'"):
        publish(runtime, "acme", package)
    assert "extra" not in _columns(runtime, "acme", "deal")
    assert "note" not in _tables(runtime, "acme")
    assert runtime.tenant("acme", fresh=True).current_version == 1


def test_invalid_package_applies_nothing(runtime: Runtime, write_package: PackageWriter) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"deal": DEAL_V1}))
    broken = DEAL_V2.replace("type: enum", "type: enumm")
    with pytest.raises(MetadataError) as info:
        publish(runtime, "acme", write_package({"deal": broken, "note": NOTE}))
    assert any("enumm" in str(d) for d in info.value.diagnostics)
    assert "note" not in _tables(runtime, "acme")
    assert runtime.tenant("acme", fresh=True).current_version == 1


def test_stored_version_reloads_in_a_new_process(
    runtime: Runtime, write_package: PackageWriter
) -> None:
    runtime.registry.create_tenant("acme")
    publish(runtime, "acme", write_package({"deal": DEAL_V2, "note": NOTE}))
    other = Runtime(runtime.config)
    try:
        app = other.app("acme")
        assert set(app.entities) == {"deal", "note"}
        assert app.version_no == 1
    finally:
        other.close()
