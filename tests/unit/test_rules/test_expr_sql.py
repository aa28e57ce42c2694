"""SQL compilation details: predicate shape, dialects, time zones, JSON nulls, references."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from trellis.rules.expr import EvalContext, parser
from trellis.rules.expr._sql_dialect import FOREIGN_CASE_ASCII
from trellis.rules.expr.text_case import fold_lower

from rules_test_support import NOW, Db, build_tables, compile_deal, make_ctx

PG = postgresql.dialect()  # type: ignore[no-untyped-call]
SQLITE = sqlite.dialect()
MYSQL = mysql.dialect()


def _sql(db_dialect: sa.Dialect, source: str) -> str:
    meta = sa.MetaData()
    tables = build_tables(meta)
    expr = compile_deal(source).to_sql(tables.__getitem__, make_ctx())
    return str(sa.select(tables["deal"].c.id).where(expr).compile(dialect=db_dialect))


def test_typical_filter_stays_index_friendly() -> None:
    text = _sql(PG, 'amount > 10000 and stage in ("proposal", "negotiation")')
    assert "coalesce" not in text
    assert "deal.amount > %(param_1)s::BIGINT AND deal.stage IN" in text


def test_not_and_selected_values_get_definite_booleans() -> None:
    assert "NOT coalesce(deal.amount > " in _sql(PG, "not (amount > 1)")


def test_context_values_are_parameters_not_server_clock() -> None:
    text = _sql(PG, "close_date < today() and seen_at > now() - hours(4)")
    assert "now(" not in text.lower()
    assert "CURRENT" not in text.upper()
    assert "deal.close_date < %(param_1)s::DATE" in text


def test_like_patterns_escape_wildcards() -> None:
    meta = sa.MetaData()
    tables = build_tables(meta)
    expr = compile_deal('name contains "5%_/x"').to_sql(tables.__getitem__, make_ctx())
    compiled = sa.select(tables["deal"].c.id).where(expr).compile(dialect=SQLITE)
    assert list(compiled.params.values()) == ["%5/%/_//x%"]
    assert "ESCAPE '/'" in str(compiled)


@pytest.mark.parametrize("op", ["contains", "starts_with", "ends_with"])
def test_an_ascii_text_match_is_plain_like_on_sqlite_and_lower_like_on_postgresql(
    op: str,
) -> None:
    lite = _sql(SQLITE, f'name {op} "X@Y"')
    assert "deal.name LIKE ? ESCAPE '/'" in lite
    assert "lower" not in lite
    assert "lower(deal.name) LIKE %(param_1)s::VARCHAR ESCAPE '/'" in _sql(PG, f'name {op} "x@y"')


@pytest.mark.parametrize(
    ("pattern", "plain", "folded"),
    [("xyz", True, False), ("kit", True, True), ("été", False, True), ("5%_/", True, False)],
)
def test_sqlite_folds_in_python_only_where_plain_like_could_miss(
    pattern: str, plain: bool, folded: bool
) -> None:
    text = _sql(SQLITE, f'name contains "{pattern}"')
    assert ("deal.name LIKE ?" in text) is plain
    assert ("trellis_lower(deal.name) LIKE ?" in text) is folded


def test_only_i_and_k_have_non_ascii_letters_lowercasing_to_them() -> None:
    found = {
        fold_lower(chr(c))
        for c in range(0x80, 0x110000)
        if not 0xD800 <= c <= 0xDFFF and chr(c).lower() != chr(c)
    }
    assert {ch for ch in found if ch.isascii()} == FOREIGN_CASE_ASCII


def test_unsupported_dialect_is_a_clear_error() -> None:
    with pytest.raises(sa.exc.CompileError, match="PostgreSQL and SQLite, not 'mysql'"):
        _sql(MYSQL, '"vip" in tags')


def test_where_form_and_value_form_agree(db: Db) -> None:
    expr, ctx = compile_deal("not (amount > 5) or amount > 8"), make_ctx()
    with db.engine.begin() as conn:
        db.load(conn, [{"id": 1}, {"id": 2, "amount": 6}, {"id": 3, "amount": 9}])
        assert db.selected_ids(conn, expr, ctx) == {1, 3}
        assert db.values(conn, expr, ctx) == {1: True, 2: False, 3: True}
        plain = compile_deal("amount > 5")
        assert db.values(conn, plain, ctx, as_value=False)[1] is None
        assert db.values(conn, plain, ctx, as_value=True)[1] is False


def test_context_changes_the_result(db: Db) -> None:
    expr = compile_deal("close_date < today() and owner_id == current_user()")
    with db.engine.begin() as conn:
        db.load(conn, [{"id": 1, "close_date": date(2026, 3, 14), "owner_id": 7}])
        assert db.selected_ids(conn, expr, make_ctx()) == {1}
        earlier = EvalContext(now=datetime(2026, 3, 1, tzinfo=UTC), user_id=7)
        assert db.selected_ids(conn, expr, earlier) == set()
        nobody = EvalContext(now=NOW, user_id=None)
        assert db.selected_ids(conn, expr, nobody) == set()


def test_references_become_correlated_subqueries(db: Db) -> None:
    accounts = [
        {"id": 1, "industry": "retail", "parent": 2},
        {"id": 2, "industry": "tech", "labels": ["Key"]},
        {"id": 3, "industry": "retail", "parent": 9},
    ]
    expr = compile_deal('account.parent.industry == "tech" and "key" in account.parent.labels')
    with db.engine.begin() as conn:
        deals = [{"id": 1, "account": 1}, {"id": 2, "account": 2}, {"id": 3, "account": 3}]
        db.load(conn, [*deals, {"id": 4}], accounts)
        assert db.selected_ids(conn, expr, make_ctx()) == {1}
        other = compile_deal('account.parent.industry != "tech"')
        assert db.selected_ids(conn, other, make_ctx()) == {2, 3, 4}


def test_sql_null_lists_are_empty(db: Db) -> None:
    deal = db.tables["deal"]
    with db.engine.begin() as conn:
        db.load(conn, [])
        conn.execute(deal.insert().values(id=1, tags=sa.null(), payload=sa.null()))
        conn.execute(deal.insert().values(id=2, tags=[], payload={"a": 1}))
        for source, ids in [
            ("tags is empty", {1, 2}),
            ('"a" in tags', set()),
            ('"a" not in tags', {1, 2}),
            ("len(tags) == 0", {2}),
            ("payload is empty", {1}),
        ]:
            assert db.selected_ids(conn, compile_deal(source), make_ctx()) == ids, source


def test_postgres_session_time_zone_does_not_matter(pg_db: Db) -> None:
    seen = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    sources = [
        "year(seen_at) == 2026",
        'date(seen_at) == date("2026-12-31")',
        'datetime(close_date) == datetime("2026-12-31T00:00:00Z")',
        "days_between(close_date, seen_at) == 0",
        "seen_at >= close_date",
    ]
    with pg_db.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
        pg_db.load(conn, [{"id": 1, "seen_at": seen, "close_date": date(2026, 12, 31)}])
        for source in sources:
            assert pg_db.selected_ids(conn, compile_deal(source), make_ctx()) == {1}, source


def test_evaluation_never_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    expr = compile_deal('amount > 10000 and stage in ("proposal", "negotiation")')

    def refuse() -> None:
        raise AssertionError("parsed during evaluation")

    monkeypatch.setattr(parser, "_lark", refuse)
    assert expr.evaluate({"amount": 20000, "stage": "proposal"}, make_ctx()) is True
    assert expr.evaluate({"amount": 20000, "stage": "won"}, make_ctx()) is False
