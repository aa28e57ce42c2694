"""Each library function, and date arithmetic, on closures, interpreter and SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from trellis.rules.expr import EvalContext, interpret
from trellis.rules.expr._runtime import to_utc
from trellis.rules.expr.functions import FUNCTIONS
from trellis.rules.expr.typed import PYTHON_ONLY_FUNCTIONS

from rules_test_support import NOW, USER_ID, Db, compile_deal, make_ctx


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# (expression, record, expected value)
CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("today()", {}, date(2026, 3, 15)),
    ("now()", {}, NOW),
    ("current_user()", {}, USER_ID),
    ("days_between(close_date, today())", {"close_date": date(2026, 3, 10)}, 5),
    ("days_between(today(), close_date)", {"close_date": date(2026, 3, 10)}, -5),
    ("days_between(seen_at, now())", {"seen_at": _utc(2026, 3, 14, 13)}, 0),
    ("days_between(seen_at, now())", {"seen_at": _utc(2026, 3, 14, 12, 30)}, 1),
    ("days_between(now(), seen_at)", {"seen_at": _utc(2026, 3, 13, 12)}, -2),
    (
        "days_between(close_date, seen_at)",
        {"close_date": date(2026, 3, 10), "seen_at": _utc(2026, 3, 12, 6)},
        2,
    ),
    ("days_between(close_date, seen_at)", {}, None),
    ("lower(name)", {"name": "AbC"}, "abc"),
    ("upper(name)", {"name": "AbC"}, "ABC"),
    ("trim(name)", {"name": " \t a b \n"}, "a b"),
    ("lower(name)", {}, None),
    ("len(name)", {"name": "héllo"}, 5),
    ("len(name)", {"name": ""}, 0),
    ("len(tags)", {"tags": ["a", "b"]}, 2),
    ("len(name)", {}, None),
    ('coalesce(name, notes, "z")', {"notes": "n"}, "n"),
    ('coalesce(name, notes, "z")', {"name": ""}, "z"),
    ("coalesce(amount, qty)", {"qty": 3}, 3),
    ("coalesce(amount, qty)", {}, None),
    ("round(price, 1)", {"price": Decimal("2.25")}, Decimal("2.3")),
    ("round(-price, 1)", {"price": Decimal("2.25")}, Decimal("-2.3")),
    ("round(price)", {"price": Decimal("2.50")}, Decimal("3")),
    ("round(amount, -2)", {"amount": 1250}, Decimal("1300")),
    ("round(amount / qty, 2)", {"amount": 2, "qty": 3}, Decimal("0.67")),
    ("round(price)", {}, None),
    ("abs(-amount)", {"amount": 4}, 4),
    ("abs(price)", {"price": Decimal("-1.50")}, Decimal("1.5")),
    ("min(amount, qty)", {"amount": 4, "qty": 2}, 2),
    ("max(amount, qty)", {"amount": 4, "qty": 2}, 4),
    ("max(amount, qty)", {"amount": 4}, None),
    ("min(close_date, today())", {"close_date": date(2026, 1, 1)}, date(2026, 1, 1)),
    ("max(seen_at, now())", {"seen_at": _utc(2027, 1, 1)}, _utc(2027, 1, 1)),
    ('concat(name, " ", notes)', {"name": "Ada", "notes": "L"}, "Ada L"),
    ('concat(name, " ", notes)', {"notes": "L"}, " L"),
    ("concat(name)", {}, ""),
    ("year(close_date)", {"close_date": date(2025, 7, 4)}, 2025),
    ("month(close_date)", {"close_date": date(2025, 7, 4)}, 7),
    ("day(close_date)", {"close_date": date(2025, 7, 4)}, 4),
    ("year(seen_at)", {"seen_at": _utc(2026, 12, 31, 23, 30)}, 2026),
    ("day(seen_at)", {"seen_at": _utc(2026, 12, 31, 23, 30)}, 31),
    ("year(close_date)", {}, None),
    ('date("2026-01-31")', {}, date(2026, 1, 31)),
    ("date(seen_at)", {"seen_at": _utc(2026, 1, 31, 23, 59)}, date(2026, 1, 31)),
    ('datetime("2026-01-31T10:00:00Z")', {}, _utc(2026, 1, 31, 10)),
    ("datetime(close_date)", {"close_date": date(2026, 1, 31)}, _utc(2026, 1, 31)),
    ("days(qty)", {"qty": 3}, 3),
    ("hours(qty)", {"qty": 6}, Decimal("0.25")),
    ("close_date + 30", {"close_date": date(2026, 1, 31)}, date(2026, 3, 2)),
    ("close_date - days(qty)", {"close_date": date(2026, 3, 1), "qty": 1}, date(2026, 2, 28)),
    (
        "close_date + price",
        {"close_date": date(2026, 3, 1), "price": Decimal("1.5")},
        date(2026, 3, 2),
    ),
    (
        "close_date - price",
        {"close_date": date(2026, 3, 1), "price": Decimal("1.5")},
        date(2026, 2, 27),
    ),
    ('close_date - date("2026-01-01")', {"close_date": date(2026, 3, 1)}, 59),
    ("seen_at + hours(qty)", {"seen_at": _utc(2026, 3, 1, 22), "qty": 4}, _utc(2026, 3, 2, 2)),
    (
        "seen_at - days(qty)",
        {"seen_at": _utc(2026, 3, 1, 22, 0, 5), "qty": 1},
        _utc(2026, 2, 28, 22, 0, 5),
    ),
    ("now() - seen_at", {"seen_at": _utc(2026, 3, 14, 0, 30)}, Decimal("1.5")),
    (
        "seen_at - close_date",
        {"seen_at": _utc(2026, 3, 2, 6), "close_date": date(2026, 3, 1)},
        Decimal("1.25"),
    ),
    ("seen_at + 1", {}, None),
    ('if(amount > 10, "big", "small")', {"amount": 20}, "big"),
    ('if(amount > 10, "big", "small")', {"amount": 5}, "small"),
    ('if(amount > 10, "big", "small")', {}, "small"),
    ("if(active, amount, 0)", {"amount": 5}, 0),  # an empty condition picks else
    ("if(active, amount, 0)", {"amount": 5, "active": True}, 5),
    ("if(active, fee, price)", {"active": True, "fee": Decimal("1.25")}, Decimal("1.25")),
    ("if(active, fee, price)", {"active": False, "price": Decimal("0.5")}, Decimal("0.5")),
    ("if(active, amount, null)", {"active": False, "amount": 3}, None),
    ("if(active, account, 5)", {"active": True, "account": 42}, 42),
    (
        "if(active, close_date, seen_at)",
        {"active": True, "close_date": date(2026, 3, 10)},
        _utc(2026, 3, 10),
    ),
    ("if(not active, today(), close_date)", {}, date(2026, 3, 15)),
    ("if(amount > 1, active, qty > 2)", {"amount": 2, "active": True}, True),
    ("divide(amount - qty, qty)", {"amount": 30, "qty": 10}, 2),
    ("divide(amount - qty, qty)", {"amount": 30, "qty": 0}, None),
    ("divide(amount - qty, qty)", {"amount": 30}, None),
    ("divide(amount, qty, -1)", {"amount": 3, "qty": 0}, -1),
    ("divide(amount, qty, -1)", {"amount": 3}, -1),
    ("divide(amount, qty, -1)", {"qty": 4}, None),
    ("divide(fee, price)", {"fee": Decimal("1.25"), "price": Decimal("0.5")}, Decimal("2.5")),
    ("divide(fee, price, 0)", {"fee": Decimal("1.25"), "price": Decimal("0.00")}, 0),
    # Pinned: the first 32 bits of md5("ada@example.com") modulo 2 (stable everywhere).
    ("hash_bucket(name, 2)", {"name": "ada@example.com"}, 1),
    ("hash_bucket(name, 10)", {"name": "Straße"}, 5),
    ("hash_bucket(name, 10)", {"name": ""}, None),
    ("hash_bucket(name, 10)", {}, None),
    ("hash_bucket(account, 3)", {"account": 42}, 1),
    ("hash_bucket(amount, 4)", {"amount": 7}, 3),
    ("hash_bucket(name, 1)", {"name": "x"}, 0),
]


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return bool(actual == expected) and type(actual) is type(expected)
    if isinstance(expected, int | Decimal):
        return actual is not None and abs(Decimal(str(actual)) - expected) <= Decimal("1e-9")
    if isinstance(expected, datetime):
        return isinstance(actual, datetime) and to_utc(actual) == expected
    return bool(actual == expected)


def _ids(case: tuple[str, dict[str, Any], Any]) -> str:
    return f"{case[0]} | {case[1]}"


def test_every_function_has_a_case() -> None:
    used = {name for source, _, _ in CASES for name in FUNCTIONS if f"{name}(" in source}
    # Python-only functions (no SQL form) have their own tests (test_business_hours.py).
    assert used == set(FUNCTIONS) - PYTHON_ONLY_FUNCTIONS


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_closure_and_interpreter(case: tuple[str, dict[str, Any], Any]) -> None:
    source, record, expected = case
    expr, ctx = compile_deal(source), make_ctx()
    assert _same(expr.evaluate(record, ctx), expected)
    assert _same(interpret(expr, record, ctx), expected)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_sql(db: Db, case: tuple[str, dict[str, Any], Any]) -> None:
    source, record, expected = case
    expr, ctx = compile_deal(source), make_ctx()
    with db.engine.begin() as conn:
        db.load(conn, [{"id": 1, **record}])
        (value,) = db.values(conn, expr, ctx).values()
    if isinstance(expected, str | date) and not isinstance(expected, datetime):
        assert value == expected
    else:
        assert _same(value, expected), value


def test_context_time_is_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    ctx = EvalContext(now=datetime(2026, 1, 1, 1, tzinfo=plus_two))
    assert ctx.now == _utc(2025, 12, 31, 23)
    assert ctx.now.tzinfo is UTC
    assert compile_deal("today()").evaluate({}, ctx) == date(2025, 12, 31)
    assert EvalContext(now=datetime(2026, 1, 1)).now == _utc(2026, 1, 1)
