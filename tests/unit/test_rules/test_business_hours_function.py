"""``business_hours_between(a, b, "calendar")`` in the rule language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.loader import validate_package
from trellis.metadata.model.calendars import CalendarDef
from trellis.rules.checker import RuleExpressionChecker
from trellis.rules.expr import EvalContext, ExpressionError, compile_expression, interpret

from rules_test_support import DEAL, MODEL, sqlite_database

SUPPORT = CalendarDef(
    name="support",
    timezone="Europe/Madrid",
    week=(((540, 840), (900, 1080)),) * 5 + ((), ()),
    holidays=frozenset({date(2026, 12, 8)}),
)
WITH_CALENDAR = replace(MODEL, calendars=MappingProxyType({"support": SUPPORT}))
CHECKER = RuleExpressionChecker()
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
    wall = Decimal((c - a) // timedelta(microseconds=1)) / Decimal(3_600_000_000)
    assert Decimal(0) <= _hours(a, c) <= wall + Decimal("1e-20")


def _package(root: Path, files: dict[str, str]) -> Path:
    base = {
        "app.yaml": "name: desk\nversion: 1.0.0\n",
        "calendars/support.yaml": 'timezone: Europe/Madrid\nweek:\n  monday: ["09:00-17:00"]\n',
        "entities/ticket.yaml": (
            "fields:\n  opened_at: {type: datetime}\n  closed_at: {type: datetime}\n"
        ),
    }
    for name, text in {**base, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


WHERE = 'business_hours_between(opened_at, closed_at, \\"support\\") > 8'


def test_role_where_run_as_sql_refuses_it_at_load(tmp_path: Path) -> None:
    roles = (
        "roles:\n  rep:\n    entities:\n      ticket:\n        actions: [read]\n"
        f'        where: "{WHERE}"\n'
    )
    result = validate_package(_package(tmp_path, {"roles.yaml": roles}), checker=CHECKER)
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("MD073", 6)]
    assert "[RL015]" in result.diagnostics[0].message


def test_dashboard_where_refuses_it_at_load(tmp_path: Path) -> None:
    tile = f'tiles:\n  - {{kind: kpi, label: Slow, entity: ticket, agg: count, where: "{WHERE}"}}\n'
    result = validate_package(_package(tmp_path, {"dashboards/desk.yaml": tile}), checker=CHECKER)
    assert [d.code for d in result.diagnostics] == ["MD116"]
    assert "[RL015]" in result.diagnostics[0].message


def test_formulas_and_validations_accept_it_at_load(tmp_path: Path) -> None:
    entity = (
        "fields:\n  opened_at: {type: datetime}\n  closed_at: {type: datetime}\n"
        "  hours: {type: decimal, formula: '"
        + WHERE.replace('\\"', '"').replace(" > 8", "")
        + "'}\nvalidations:\n  - {when: '"
        + WHERE.replace('\\"', '"')
        + "', message: Too slow.}\n"
    )
    result = validate_package(_package(tmp_path, {"entities/ticket.yaml": entity}), checker=CHECKER)
    assert result.diagnostics == ()
    assert result.model is not None and "support" in result.model.calendars
