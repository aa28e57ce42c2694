"""two_proportion_z() and two_proportion_p(): the A/B test of two rates, in formulas only."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.rules.expr import ExpressionError
from trellis.rules.expr._sql import refuse_python_only

from rules_test_support import compile_deal, make_ctx

Z = "two_proportion_z(amount, qty, price, 1000)"


def _z(x1: int, n1: int, x2: int, n2: int) -> Decimal | None:
    record = {"amount": x1, "qty": n1, "price": Decimal(x2)}
    expr = compile_deal(f"two_proportion_z(amount, qty, price, {n2})")
    value = expr.evaluate(record, make_ctx())
    return None if value is None else Decimal(value)


def _p(x1: int, n1: int, x2: int, n2: int) -> Decimal | None:
    record = {"amount": x1, "qty": n1, "price": Decimal(x2)}
    value = compile_deal(f"two_proportion_p(amount, qty, price, {n2})").evaluate(record, make_ctx())
    return None if value is None else Decimal(value)


def test_a_textbook_case() -> None:
    # 12 % of 1,000 against 9 % of 1,000: pooled p 0.105, z = 0.03 / sqrt(0.105 * 0.895 * 0.002)
    assert _z(120, 1000, 90, 1000) == Decimal("2.188266")
    assert _p(120, 1000, 90, 1000) == Decimal("0.028650")
    assert _p(100, 1000, 100, 1000) == Decimal("1.000000")


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(0, 10, 0, 10), (10, 10, 5, 5), (1, 0, 1, 10), (11, 10, 1, 10), (-1, 10, 1, 10)],
)
def test_no_answer_without_variance_or_with_impossible_counts(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    assert _z(x1, n1, x2, n2) is None and _p(x1, n1, x2, n2) is None


def test_empty_counts_give_empty() -> None:
    assert compile_deal(Z).evaluate({"amount": None, "qty": 10, "price": 1}, make_ctx()) is None


def test_not_in_filters() -> None:
    with pytest.raises(ExpressionError) as info:
        refuse_python_only(compile_deal(f"{Z} > 1.96").tree, f"{Z} > 1.96")
    assert [d.code for d in info.value.diagnostics] == ["RL015"]


def test_wrong_argument_types_and_counts() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_deal('two_proportion_z(amount, qty, "x", 10)')
    assert [d.code for d in info.value.diagnostics] == ["RL008"]
    with pytest.raises(ExpressionError) as info:
        compile_deal("two_proportion_p(amount, qty, price)")
    assert [d.code for d in info.value.diagnostics] == ["RL005"]


counts = st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, counts)
def test_symmetric_and_matching_the_normal_tail(a: tuple[int, int], b: tuple[int, int]) -> None:
    z_ab, z_ba = _z(*a, *b), _z(*b, *a)
    p_ab, p_ba = _p(*a, *b), _p(*b, *a)
    assert p_ab == p_ba
    if z_ab is None:
        assert z_ba is None and p_ab is None
        return
    assert z_ba == -z_ab
    assert p_ab is not None and Decimal(0) <= p_ab <= Decimal(1)
    expected = math.erfc(abs(float(z_ab)) / math.sqrt(2))
    assert abs(float(p_ab) - expected) < 2e-6
    # The same rates give z = 0; a larger share of successes on A gives z > 0.
    rate_a, rate_b = Decimal(a[0]) / a[1], Decimal(b[0]) / b[1]
    if rate_a == rate_b:
        assert z_ab == 0
    elif z_ab != 0:  # a difference too small for 6 decimals rounds to 0
        assert (z_ab > 0) == (rate_a > rate_b)
