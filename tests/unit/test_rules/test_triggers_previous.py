"""``changed(field)`` and ``old(field)`` in the expression language."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.unit.test_rules.test_triggers_check import _model
from trellis.metadata.model import AppModel
from trellis.rules.expr import EvalContext, ExpressionError, compile_expression, interpret

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def model(tmp_path: Path) -> AppModel:
    return _model(tmp_path)


def _eval(
    model: AppModel, source: str, record: dict[str, object], old: dict[str, object] | None
) -> object:
    expr = compile_expression(source, model.entity("deal"), model)
    ctx = EvalContext(now=NOW, old=old)
    value = expr.evaluate(record, ctx)
    assert interpret(expr, record, ctx) == value
    return value


def test_changed_on_create_is_true_when_set(model: AppModel) -> None:
    assert _eval(model, "changed(amount)", {"amount": 5}, None) is True
    assert _eval(model, "changed(amount)", {"amount": None}, None) is False
    assert _eval(model, "changed(name)", {"name": ""}, None) is False


def test_changed_and_old_on_update(model: AppModel) -> None:
    assert _eval(model, "changed(amount)", {"amount": 5}, {"amount": 4}) is True
    assert _eval(model, "changed(amount)", {"amount": 5}, {"amount": 5}) is False
    assert _eval(model, "old(amount) + 1", {"amount": 5}, {"amount": 4}) == 5
    assert _eval(model, 'old(name) == "a" and changed(name)', {"name": "b"}, {"name": "a"}) is True
    assert _eval(model, "old(amount)", {"amount": 5}, None) is None


def test_old_has_the_field_type(model: AppModel) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression('old(amount) == "x"', model.entity("deal"), model)
    assert info.value.diagnostics[0].code == "RL003"


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("changed()", "RL005"),
        ("changed(1)", "RL008"),
        ("old(amount, name)", "RL005"),
        ("chnged(amount)", "RL004"),
    ],
)
def test_bad_calls(model: AppModel, source: str, code: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(source, model.entity("deal"), model)
    assert info.value.diagnostics[0].code == code
    if code == "RL004":
        assert info.value.diagnostics[0].suggestion == "changed"


def test_sql_refuses_old_and_changed(model: AppModel) -> None:
    expr = compile_expression("amount > 1 and changed(amount)", model.entity("deal"), model)
    table = sa.Table("deal", sa.MetaData(), sa.Column("amount", sa.Integer()))
    with pytest.raises(ExpressionError) as info:
        expr.to_sql(lambda name: table, EvalContext(now=NOW))
    assert info.value.diagnostics[0].code == "RL013"
    assert (info.value.diagnostics[0].span.line, info.value.diagnostics[0].span.col) == (1, 1)
