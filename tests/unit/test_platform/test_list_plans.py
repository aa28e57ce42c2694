"""List pages through ``RecordQuery``: the short first page's count, and index use.

The plans are read with ``EXPLAIN QUERY PLAN`` (SQLite) and ``EXPLAIN (FORMAT JSON)``
(PostgreSQL, sequential scans disabled in the session) for the very statement the
list path ran, captured from the cursor.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from trellis.metadata.model import AppModel, EntityDef, FieldDef
from trellis.platform.db.engines import sqlite_engine
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.query import ListPage, ListRequest, RecordQuery, SortKey
from trellis.rules.expr import EvalContext

PG_URL = os.environ.get("TRELLIS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
ROWS = 3000
CTX = EvalContext(now=NOW, user_id=1, resolve=lambda _entity, _id: None)
SCORE_INDEX = "ix_item_score"


def _field(name: str, type_: str, **kw: Any) -> FieldDef:
    return FieldDef(name=name, type=type_, label=name.title(), **kw)


MODEL = AppModel(
    "lists",
    "1.0.0",
    "Lists",
    {
        "item": EntityDef(
            "item",
            "Item",
            "Items",
            {
                "email": _field("email", "email"),
                "score": _field("score", "integer", indexed=True),
            },
        )
    },
)


@dataclass
class Lists:
    """A database holding ``item`` rows, and the statements the list path ran."""

    dialect: str
    conn: sa.Connection
    query: RecordQuery
    statements: list[tuple[str, Any]] = field(default_factory=list)

    def page(
        self, text: str | None, sort: str = "", limit: int = 50, cursor: str | None = None
    ) -> ListPage:
        """Run one list page; ``sort`` is ``-score,email`` style."""
        keys = tuple(SortKey(k.lstrip("-"), k.startswith("-")) for k in sort.split(",") if k)
        request = ListRequest(text, keys, limit, cursor, None)
        self.statements.clear()
        entity = self.query.app.entities["item"]
        return self.query.page(self.conn, entity, request, CTX)

    def plan(self, statement: str, params: Any) -> str:
        """The plan of ``statement`` as text (node names, index names, SQLite details)."""
        if self.dialect == "sqlite":
            rows = self.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            return "\n".join(str(r[-1]) for r in rows)
        row = self.conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", params).scalar()
        return json.dumps(row if isinstance(row, list) else json.loads(row))


def _rows() -> list[dict[str, Any]]:
    return [
        {
            "created_at": NOW,
            "updated_at": NOW,
            "email": f"{'x' if i % 7 == 0 else 'a'}{i}@example.org",
            "score": i % 101,
        }
        for i in range(ROWS)
    ]


def _fill(conn: sa.Connection, app: CompiledApp) -> None:
    conn.execute(app.table("item").insert(), _rows())
    conn.exec_driver_sql("ANALYZE")


def _record(lists: Lists, conn: sa.Connection) -> None:
    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            lists.statements.append((statement, params))

    sa.event.listen(conn, "before_cursor_execute", capture)


@pytest.fixture
def sqlite_lists(tmp_path: Path) -> Iterator[Lists]:
    app = CompiledApp(MODEL, 1)
    engine = sqlite_engine(tmp_path / "lists.db")
    app.metadata.create_all(engine)
    with engine.connect() as conn:
        _fill(conn, app)
        conn.commit()
        lists = Lists("sqlite", conn, RecordQuery(app, count_cap=1000))
        _record(lists, conn)
        yield lists
    engine.dispose()


@pytest.fixture
def pg_lists() -> Iterator[Lists]:
    app = CompiledApp(MODEL, 1)
    schema = f"trellis_lists_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    mapped = engine.execution_options(schema_translate_map={None: schema})
    try:
        app.metadata.create_all(mapped)
        with mapped.connect() as conn:
            _fill(conn, app)
            conn.commit()
            conn.exec_driver_sql("SET enable_seqscan = off")
            lists = Lists("postgresql", conn, RecordQuery(app, count_cap=1000))
            _record(lists, conn)
            yield lists
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def lists(request: pytest.FixtureRequest) -> Lists:
    """Each real database in turn."""
    name = "sqlite_lists" if request.param == "sqlite" else "pg_lists"
    result: Lists = request.getfixturevalue(name)
    return result


def test_a_short_first_page_is_its_own_count(lists: Lists) -> None:
    page = lists.page("score == 42", sort="-score")
    assert len(page.rows) == ROWS // 101 + 1
    assert (page.count, page.count_exact, page.next_cursor) == (len(page.rows), True, None)
    assert len(lists.statements) == 1


def test_a_full_or_later_page_still_counts(lists: Lists) -> None:
    first = lists.page("score == 42", sort="-score", limit=10)
    assert (first.count, first.count_exact) == (ROWS // 101 + 1, True)
    assert len(lists.statements) == 2
    assert first.next_cursor is not None
    last = lists.page("score == 42", sort="-score", limit=50, cursor=first.next_cursor)
    assert (last.count, last.count_exact, last.next_cursor) == (first.count, True, None)
    assert len(lists.statements) == 2


def test_an_empty_first_page_counts_zero(lists: Lists) -> None:
    page = lists.page("score > 1000")
    assert (page.rows, page.count, page.count_exact) == ([], 0, True)
    assert len(lists.statements) == 1


def test_the_capped_count_is_unchanged_past_the_cap(lists: Lists) -> None:
    page = lists.page("score >= 0", limit=5)
    assert (page.count, page.count_exact) == (1001, False)
    assert len(lists.statements) == 2


def _uses_score_index(lists: Lists, plan: str) -> bool:
    if lists.dialect == "sqlite":
        return f"USING INDEX {SCORE_INDEX}" in plan
    return f'"Index Name": "{SCORE_INDEX}"' in plan


def _sorts_everything(lists: Lists, plan: str) -> bool:
    """A sort over every row (a sort on the id tie-breaker within one score is fine)."""
    if lists.dialect == "sqlite":
        return "USE TEMP B-TREE FOR ORDER BY" in plan
    return '"Node Type": "Sort"' in plan


@pytest.mark.parametrize(
    "text", ['score > 50 and email contains "x"', "score > 50", 'email contains "X"', None]
)
def test_the_indexed_list_reads_the_index_for_the_sort(lists: Lists, text: str | None) -> None:
    page = lists.page(text, sort="-score")
    assert page.rows and all(r["score"] == 100 for r in page.rows[:5])
    if text and "contains" in text:
        assert all("x" in r["email"] for r in page.rows)
    plan = lists.plan(*lists.statements[0])
    assert _uses_score_index(lists, plan), plan
    assert not _sorts_everything(lists, plan), plan


def test_the_indexed_list_reads_the_index_for_the_filter(lists: Lists) -> None:
    page = lists.page("score == 42", sort="email")
    assert {r["score"] for r in page.rows} == {42}
    plan = lists.plan(*lists.statements[0])
    assert _uses_score_index(lists, plan), plan
    if lists.dialect == "sqlite":
        assert "score=?" in plan, plan
    else:
        assert '"Index Cond"' in plan, plan
