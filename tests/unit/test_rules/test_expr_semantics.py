"""The empty-value table of DESIGN.md §13, checked on closures, interpreter and SQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from trellis.rules.expr import interpret

from rules_test_support import USER_ID, Db, compile_deal, make_ctx

ACCOUNTS = {1: {"id": 1, "name": "Acme", "industry": "retail"}, 2: {"id": 2, "name": "Bolt"}}
TODAY = date(2026, 3, 15)

# (expression, record, expected truth)
TABLE: list[tuple[str, dict[str, Any], bool]] = [
    ('name != "Lyon"', {"name": None}, True),
    ('name == "Lyon"', {"name": None}, False),
    ('name != "Lyon"', {"name": "Lyon"}, False),
    ('name == "lyon"', {"name": "Lyon"}, False),
    ("name == notes", {}, True),
    ("name != notes", {"name": "a"}, True),
    ("amount == qty", {"amount": 1}, False),
    ("amount > 5", {}, False),
    ("amount <= 5", {}, False),
    ("not (amount > 5)", {}, True),
    ("5 < amount", {"amount": 6}, True),
    ("amount + 1 > 0", {}, False),
    ("amount + 1 is empty", {}, True),
    ("-amount is empty", {}, True),
    ("amount / 0 is empty", {"amount": 5}, True),
    ("amount / qty is empty", {"amount": 5, "qty": 0}, True),
    ("amount / qty == 2.5", {"amount": 5, "qty": 2}, True),
    ("price * qty == 7.5", {"price": Decimal("2.50"), "qty": 3}, True),
    ("active", {}, False),
    ("not active", {}, True),
    ("active or amount > 1", {"amount": 2}, True),
    ("active and amount > 1", {"amount": 2}, False),
    ("not (active and amount > 1)", {"amount": 2}, True),
    ("not (active or amount > 1)", {}, True),
    ("active == false", {}, False),
    ("active != true", {}, True),
    ("active == false", {"active": False}, True),
    ('(not ("vip" in tags)) == active', {"tags": []}, False),
    ("(not (amount > 1)) != (name is empty)", {}, False),
    ("(amount > 1) in (active, false)", {}, True),
    ("name is empty", {}, True),
    ("name is empty", {"name": ""}, True),
    ("name is empty", {"name": " "}, False),
    ("name is not empty", {"name": "x"}, True),
    ("tags is empty", {}, True),
    ("tags is empty", {"tags": []}, True),
    ("tags is not empty", {"tags": ["a"]}, True),
    ("len(tags) == 0", {"tags": []}, True),
    ("len(tags) is empty", {}, True),
    ("payload is empty", {}, True),
    ("payload is not empty", {"payload": {"a": 1}}, True),
    ('"vip" in tags', {"tags": ["VIP", "x"]}, True),
    ('"vip" in tags', {}, False),
    ('"vip" not in tags', {}, True),
    ('"vip" not in tags', {"tags": ["Vip"]}, False),
    ('tags contains "Vip"', {"tags": ["vip"]}, True),
    ("name in tags", {"name": "B", "tags": ["a", "b"]}, True),
    ("name not in tags", {"tags": ["a", "b"]}, True),
    ('name contains "ACM"', {"name": "acme"}, True),
    ('name contains "x"', {}, False),
    ('not (name contains "x")', {}, True),
    ('name starts_with "AC"', {"name": "acme"}, True),
    ('name ends_with "ME"', {"name": "acme"}, True),
    ('name ends_with "ac"', {"name": "acme"}, False),
    ('name contains "%"', {"name": "100%"}, True),
    ('name contains "%"', {"name": "100"}, False),
    ('name contains "_"', {"name": "ab"}, False),
    ('name contains "/"', {"name": "a/b"}, True),
    ("name contains notes", {"name": "a%b", "notes": "%"}, True),
    ("name contains notes", {"name": "ab", "notes": "_"}, False),
    ("name starts_with notes", {"name": "Hello", "notes": "hE"}, True),
    ('email ends_with "@example.com"', {"email": "Bob@Example.COM"}, True),
    ('stage in ("new", "won")', {}, False),
    ('stage not in ("new", "won")', {}, True),
    ('stage in ("new", "won")', {"stage": "won"}, True),
    ("amount in (1, 2.5)", {"amount": 2}, False),
    ("amount in (qty, 3)", {}, True),
    ("amount not in (qty, 3)", {"qty": 1}, True),
    ('account.industry == "retail"', {"account": 1}, True),
    ('account.industry == "retail"', {"account": 2}, False),
    ('account.industry == "retail"', {"account": 99}, False),
    ('account.industry != "retail"', {"account": 99}, True),
    ('account.industry != "retail"', {}, True),
    ("account.industry is empty", {"account": 2}, True),
    ("account is empty", {}, True),
    ("account == 1", {"account": 1}, True),
    ("owner_id == current_user()", {"owner_id": USER_ID}, True),
    ("owner_id != current_user()", {}, True),
    ("close_date < today()", {}, False),
    ("close_date < today()", {"close_date": date(2026, 3, 14)}, True),
    ("close_date + 1 == today()", {"close_date": date(2026, 3, 14)}, True),
    ("days_between(close_date, today()) == 1", {"close_date": date(2026, 3, 14)}, True),
    ("days_between(close_date, today()) is empty", {}, True),
    ('coalesce(name, notes) == "n"', {"name": "", "notes": "n"}, True),
    ("coalesce(amount, 0) == 0", {}, True),
    ('concat(name, "-", notes) == "a-"', {"name": "a"}, True),
    ("min(amount, qty) is empty", {"amount": 1}, True),
    ("max(amount, qty) == 2", {"amount": 1, "qty": 2}, True),
    ('lower(name) == "abc"', {"name": "ABC"}, True),
    ("trim(name) is empty", {"name": "  "}, True),
]


def _ids(case: tuple[str, dict[str, Any], bool]) -> str:
    return f"{case[0]} | {case[1]}"


@pytest.mark.parametrize("case", TABLE, ids=[_ids(c) for c in TABLE])
def test_closure_and_interpreter(case: tuple[str, dict[str, Any], bool]) -> None:
    source, record, expected = case
    expr, ctx = compile_deal(source), make_ctx(ACCOUNTS)
    assert expr.evaluate(record, ctx) is expected
    assert interpret(expr, record, ctx) is expected


@pytest.mark.parametrize("case", TABLE, ids=[_ids(c) for c in TABLE])
def test_sql(db: Db, case: tuple[str, dict[str, Any], bool]) -> None:
    source, record, expected = case
    expr, ctx = compile_deal(source), make_ctx(ACCOUNTS)
    with db.engine.begin() as conn:
        db.load(conn, [{"id": 1, **record}], list(ACCOUNTS.values()))
        assert db.selected_ids(conn, expr, ctx) == ({1} if expected else set())
        assert db.values(conn, expr, ctx) == {1: expected}
