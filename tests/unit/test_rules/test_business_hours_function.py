"""``business_hours_between(a, b, "calendar")`` in the rule language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.model.calendars import CalendarDef
from trellis.rules.expr import EvalContext, ExpressionError, compile_expression, interpret

from rules_test_support import DEAL, MODEL, sqlite_database

SUPPORT = CalendarDef(
    name="support",
    timezone="Europe/Madrid",
    week=(((540, 840), (900, 1080)),) * 5 + ((), ()),
    holidays=frozenset({date(2026, 12, 8)}),
)
WITH_CALENDAR = replace(MODEL, calendars=MappingProxyType({"support": SUPPORT}))
CTX = EvalContext(now=datetime(2026, 12, 7, 10, tzinfo=UTC))


def _compile(source: str, **kw: Any) -> Any:
    return compile_expression(source, DEAL, WITH_CALENDAR, **kw)


def test_formula_counts_business_hours_between_two_fields() -> None:
    expr = _compile('business_hours_between(seen_at, now(), "support")')
    # Friday 4 December 16:00 Madrid (15:00 UTC) to Monday 11:00 Madrid: 2 + 2 hours.
    record = {"seen_at": datetime(2026, 12, 4, 15, tzinfo=UTC)}
    assert expr.evaluate(record, CTX) == Decimal(4)
    assert interpret(expr.tree, record, CTX) == Decimal(4)
    assert expr.evaluate({}, CTX) is None


def test_dates_count_from_local_midnight_and_holidays_count_nothing() -> None:
    expr = _compile('business_hours_between(close_date, date("2026-12-10"), "support")')
    # Monday 7 (8 h), Tuesday 8 holiday, Wednesday 9 (8 h).
    assert expr.evaluate({"close_date": date(2026, 12, 7)}, CTX) == Decimal(16)


def test_validation_condition() -> None:
    expr = _compile('business_hours_between(seen_at, now(), "support") > 3', expected=None)
    assert expr.evaluate({"seen_at": datetime(2026, 12, 4, 15, tzinfo=UTC)}, CTX) is True


def test_unknown_calendar_is_a_check_error_with_position() -> None:
    with pytest.raises(ExpressionError) as caught:
        _compile('business_hours_between(seen_at, now(), "suport")')
    d = caught.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.col) == ("RL014", 1, 40)
    assert d.suggestion == "support"


def test_calendar_must_be_a_literal() -> None:
    with pytest.raises(ExpressionError) as caught:
        _compile("business_hours_between(seen_at, now(), name)")
    assert caught.value.diagnostics[0].code == "RL011"


def test_filters_refuse_it_clearly() -> None:
    expr = _compile('business_hours_between(seen_at, now(), "support") > 8')
    db = sqlite_database()
    with pytest.raises(ExpressionError) as caught:
        expr.to_sql(db.table, CTX)
    assert caught.value.diagnostics[0].code == "RL015"


INSTANTS = st.datetimes(
    min_value=datetime(2026, 3, 20), max_value=datetime(2026, 4, 15), timezones=st.just(UTC)
)
IMPL = _compile('business_hours_between(seen_at, now(), "support")')


def _hours(a: datetime, b: datetime) -> Decimal:
    value = IMPL.evaluate({"seen_at": a}, EvalContext(now=b))
    assert isinstance(value, Decimal)
    return value


@given(INSTANTS, INSTANTS, INSTANTS)
@settings(max_examples=100, deadline=None)
def test_function_adds_up_and_stays_within_the_wall_clock(
    x: datetime, y: datetime, z: datetime
) -> None:
    a, b, c = sorted((x, y, z))
    # Exact in the calendar (timedelta); the hours are a Decimal division by 3600 s,
    # so sums agree to the last of its 28 significant digits.
    assert abs(_hours(a, b) + _hours(b, c) - _hours(a, c)) <= Decimal("1e-20")
    wall = Decimal((c - a).total_seconds()) / 3600
    assert Decimal(0) <= _hours(a, c) <= wall + Decimal("1e-20")
