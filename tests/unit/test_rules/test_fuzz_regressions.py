"""Regression tests for what the rule fuzzers found, each with its minimal input.

Closures and SQL (SQLite and PostgreSQL) must agree, and bad rule text must end as
positioned diagnostics, never as an exception.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from trellis.metadata.model import RuleSource
from trellis.rules.expr import ExpressionError, interpret
from trellis.rules.expr.text_case import fold_lower, fold_upper
from trellis.rules.triggers import check_rules

from rules_test_support import MODEL, Db, compile_deal, make_ctx

NEW_YORK = ZoneInfo("America/New_York")


def _closure_and_sql(db: Db, source: str, deals: list[dict[str, Any]]) -> tuple[Any, Any]:
    """Each deal's value by closure and by SQL, as ``{id: value}`` pairs."""
    expr = compile_deal(source)
    ctx = make_ctx()
    closure = {d["id"]: expr.evaluate(d, ctx) for d in deals}
    assert {d["id"]: interpret(expr, d, ctx) for d in deals} == closure
    stored = [
        {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in d.items()}
        for d in deals
    ]
    with db.engine.connect() as conn:
        db.load(conn, stored)
        sql = db.values(conn, expr, ctx)
        conn.rollback()
    return closure, sql


@pytest.mark.parametrize(
    ("source", "name", "value"),
    [
        ("name == upper(name)", "ß", True),  # Python's full mapping made it "SS"
        ("upper(name)", "straße", "STRAßE"),
        ("lower(name)", "İ", "i"),  # not "i̇" (two characters)
        # No final sigma: one character at a time.
        ("lower(name)", "\u03a3\u0391\u03a3", "\u03c3\u03b1\u03c3"),
        ("upper(name)", "ᾳ", "ᾼ"),
        ("lower(name)", "ÉTÉ", "été"),  # SQLite's own lower() only maps ASCII
        ('name contains "été"', "L'ÉTÉ", True),
        ('name starts_with "ǆ"', "ǄEMAL", True),
        ('"ÉTÉ" in tags', None, True),
        # SQLite's plain LIKE folds ASCII only: these need the Python fold.
        ('name contains "á"', "Árbol", True),
        ('name contains "Á"', "árbol", True),
        ('name contains "k"', "\u212a", True),  # KELVIN SIGN lowercases to "k"
        ('name starts_with "IS"', "İstanbul", True),
        ('name ends_with "ix"', "pİX", True),
        ('name contains "x"', "ÉTÉ X", True),
        ('name contains "i"', "\u0131", False),  # dotless i stays itself
        ('name contains "s"', "\u017f", False),  # so does the long s
        ('name contains "a_"', "Ab", False),
    ],
)
def test_case_mapping_is_simple_and_the_same_in_closures_and_sql(
    db: Db, source: str, name: str | None, value: Any
) -> None:
    deal = {"id": 1, "name": name, "tags": ["été"]}
    closure, sql = _closure_and_sql(db, source, [deal])
    assert closure == {1: value}
    assert sql == {1: value}


def test_fold_keeps_the_length_of_every_text() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x3000) if not 0xD800 <= c <= 0xDFFF)
    assert len(fold_lower(text)) == len(fold_upper(text)) == len(text)


def test_a_datetime_in_another_zone_is_read_as_its_utc_instant(db: Db) -> None:
    # 02:00 on 2026-03-08 does not exist in New York (clocks jump to 03:00): the
    # closure returned the zoned value, unequal to its own UTC instant (07:00).
    gap = datetime(2026, 3, 8, 2, 0, tzinfo=NEW_YORK)
    after = datetime(2026, 3, 9, 2, 0, tzinfo=NEW_YORK)
    deals = [{"id": 1, "seen_at": gap}, {"id": 2, "seen_at": after}]
    closure, sql = _closure_and_sql(db, "seen_at", deals)
    assert closure == {1: datetime(2026, 3, 8, 7, 0, tzinfo=UTC), 2: after.astimezone(UTC)}
    assert {i: v.astimezone(UTC) for i, v in sql.items()} == closure
    source = 'seen_at == datetime("2026-03-08T07:00:00Z")'
    assert _closure_and_sql(db, source, deals) == ({1: True, 2: False}, {1: True, 2: False})


def test_a_day_across_a_dst_change_is_23_hours_in_both(db: Db) -> None:
    # Python subtracts two times of one zone by their wall clocks (24 hours here).
    deals = [{"id": 1, "seen_at": datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)}]
    source = 'datetime("2026-03-08T16:00:00Z") - seen_at'
    closure, sql = _closure_and_sql(db, source, deals)
    assert closure[1] * 24 == 23
    assert round(sql[1] * 24, 6) == 23


def test_a_constant_past_64_bits_binds_on_both_databases(db: Db) -> None:
    # 2**63 folded from literals could not be bound on SQLite (OverflowError).
    source = "amount < 9223372036854775807 + 1"
    assert _closure_and_sql(db, source, [{"id": 1, "amount": 5}]) == ({1: True}, {1: True})


@pytest.mark.parametrize(
    ("source", "value"),
    [
        # PostgreSQL's BIGINT arithmetic failed with "bigint out of range".
        ("amount * 4611686018427387904", 13835058055282163712),
        ("amount + 9223372036854775807", 9223372036854775810),
        ("-(amount - 9223372036854775807 - 9223372036854775807)", 18446744073709551611),
        ("abs(amount - 9223372036854775807 - 9223372036854775807)", 18446744073709551611),
        # 10**20 could not be bound as an integer on either database.
        ("round(amount * 1000000000, -20)", 0),
    ],
)
def test_integer_arithmetic_past_64_bits_is_exact_or_close_never_an_error(
    db: Db, source: str, value: int
) -> None:
    closure, sql = _closure_and_sql(db, source, [{"id": 1, "amount": 3}])
    assert closure == {1: value}
    assert abs(sql[1] - value) <= value * 1e-9  # SQLite turns an overflow into REAL


@pytest.mark.parametrize(
    ("source", "value"),
    [
        # Past year 9999 PostgreSQL computed a date (so a filter kept the row) that it
        # could then not return; SQLite gave text like '-0165-09-05' before year 1.
        ("close_date + 3000000", None),
        ("close_date - 800000", None),
        ("close_date + 3000000 > today()", False),
        ("close_date + 9223372036854775807 is empty", True),  # was "integer out of range"
        ("seen_at + 3000000 > now()", False),
        ("seen_at + 9223372036854775807 is empty", True),  # was "interval out of range"
        ("close_date - 739000", date(2, 9, 9)),
        ("seen_at - 739000", datetime(2, 9, 9, tzinfo=UTC)),
    ],
)
def test_dates_moved_past_year_9999_or_before_year_1_are_empty(
    db: Db, source: str, value: Any
) -> None:
    deal = {"id": 1, "close_date": date(2026, 1, 1), "seen_at": datetime(2026, 1, 1, tzinfo=UTC)}
    closure, sql = _closure_and_sql(db, source, [deal])
    assert closure == {1: value}
    got = sql[1].replace(tzinfo=UTC) if isinstance(sql[1], datetime) else sql[1]
    assert got == value


def test_a_number_literal_past_100_digits_is_rl011() -> None:
    # 5,000 digits crashed the parser (Python's integer-conversion limit).
    with pytest.raises(ExpressionError) as refused:
        compile_deal("amount > " + "9" * 5000)
    assert [(d.code, d.span.col) for d in refused.value.diagnostics] == [("RL011", 10)]
    assert compile_deal("amount > " + "9" * 18).evaluate({"amount": 5}, make_ctx()) is False


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            'rule "a"\n on deal after {n} days from close_date\n then webhook "https://x.io"\nend\n',
            "r.rules:2:2: error RL107: A time trigger is at most 3650 days",
        ),
        (
            'rule "a"\n on deal created\n when amount > {n}\n then webhook "https://x.io"\nend\n',
            "r.rules:3:16: error RL011: A number has at most 100 digits",
        ),
    ],
)
def test_huge_numbers_in_rule_files_are_diagnostics(rule: str, expected: str) -> None:
    text = rule.replace("{n}", "9" * 5000)
    model = dataclasses.replace(MODEL, rule_sources=(RuleSource("r.rules", text),))
    assert [str(d) for d in check_rules(model)[1]] == [expected]
