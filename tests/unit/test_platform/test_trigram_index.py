"""``indexed: trigram``: declared in the package, a pg_trgm index on PostgreSQL only."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from trellis.metadata.loader import load_package, validate_package
from trellis.metadata.model import AppModel
from trellis.platform.db.engines import sqlite_engine
from trellis.platform.db.sync import apply_plan, plan_sync
from trellis.platform.db.tables import build_metadata
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.query import ListRequest, RecordQuery
from trellis.rules.expr import EvalContext

PG_URL = os.environ.get("TRELLIS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
ENTITY = "fields:\n  email: {type: email, indexed: trigram}\n  score: {type: integer}\n"


def _package(root: Path, entity: str) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text('name: demo\nversion: "1.0.0"\n', encoding="utf-8")
    (root / "entities" / "person.yaml").write_text(entity, encoding="utf-8")
    return root


@pytest.fixture
def model(tmp_path: Path) -> AppModel:
    return load_package(_package(tmp_path / "pkg", ENTITY))


def test_the_package_declares_it_on_a_text_field(model: AppModel) -> None:
    email = model.entity("person").fields["email"]
    assert (email.trigram, email.indexed) == (True, False)


def test_a_trigram_index_on_a_number_is_md019(tmp_path: Path) -> None:
    entity = "fields:\n  score: {type: integer, indexed: trigram}\n"
    result = validate_package(_package(tmp_path / "pkg", entity))
    assert [d.code for d in result.diagnostics] == ["MD019"]
    assert "'indexed: trigram' does not apply to type 'integer'" in str(result.diagnostics[0])


def test_an_unknown_index_kind_is_refused(tmp_path: Path) -> None:
    entity = "fields:\n  email: {type: email, indexed: fulltext}\n"
    result = validate_package(_package(tmp_path / "pkg", entity))
    assert [d.code for d in result.diagnostics] == ["MD007"]


def _index_names(conn: sa.Connection, schema: str | None) -> set[str]:
    indexes = sa.inspect(conn).get_indexes("person", schema=schema)
    return {str(i["name"]) for i in indexes}


def test_sqlite_gets_no_index_and_nothing_left_to_plan(model: AppModel, tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "t.db")
    metadata = build_metadata(model)
    with engine.begin() as conn:
        apply_plan(conn, plan_sync(conn, metadata, None), metadata)
    with engine.begin() as conn:
        assert not any(n.startswith("trgm_") for n in _index_names(conn, None))
        assert plan_sync(conn, metadata, None).steps == []
    engine.dispose()


@pytest.fixture
def pg_schema() -> Iterator[tuple[sa.Engine, str]]:
    schema = f"trellis_trgm_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        yield engine, schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_gets_a_trigram_index_that_contains_uses(
    model: AppModel, pg_schema: tuple[sa.Engine, str]
) -> None:
    engine, schema = pg_schema
    app = CompiledApp(model, 1)
    metadata = build_metadata(model, schema)  # as a publish does
    with engine.begin() as conn:
        apply_plan(conn, plan_sync(conn, metadata, schema), metadata)
    with engine.begin() as conn:
        assert "trgm_person_email" in _index_names(conn, schema)
        assert plan_sync(conn, metadata, schema).steps == []
    with engine.execution_options(schema_translate_map={None: schema}).connect() as conn:
        emails = [f"u{i}@{'box' if i % 50 else 'Zebra'}.org" for i in range(2000)]
        rows = [{"created_at": NOW, "updated_at": NOW, "email": e} for e in emails]
        conn.execute(app.table("person").insert(), rows)
        # Rows inserted after the index wait in its pending list until a vacuum.
        index = f"{schema}.trgm_person_email"
        conn.execute(sa.text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index})
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("SET enable_seqscan = off")
        statements: list[tuple[str, object]] = []
        sa.event.listen(conn, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
        ctx = EvalContext(now=NOW, user_id=1)
        request = ListRequest('email contains "ZEBRA"', (), 50, None, None)
        page = RecordQuery(app, count_cap=1000).page(conn, app.entities["person"], request, ctx)
        assert len(page.rows) == page.count == 40
        plan = conn.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {statements[0][0]}", statements[0][1]
        ).scalar()
        assert '"Index Name": "trgm_person_email"' in json.dumps(plan)
        conn.rollback()
