"""Parsing: every construct becomes the right syntax node, and syntax errors are friendly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.metadata.model import SourceSpan
from trellis.rules.expr import ExpressionError, parse_expression
from trellis.rules.expr import nodes as n
from trellis.rules.expr.parser import EXAMPLES


def _path(node: n.Expr) -> tuple[str, ...]:
    assert isinstance(node, n.Path)
    return node.names


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("42", 42),
        ("3.25", Decimal("3.25")),
        ('"hello"', "hello"),
        ("'hello'", "hello"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'it\'s'", "it's"),
        (r'"a\\b"', "a\\b"),
        (r'"line\nnext\ttab"', "line\nnext\ttab"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("empty", None),
    ],
)
def test_literals(source: str, value: object) -> None:
    node = parse_expression(source)
    assert isinstance(node, n.Literal)
    assert node.value == value
    assert type(node.value) is type(value)
    assert (node.line, node.col) == (1, 1)


def test_field_paths_keep_each_segment_position() -> None:
    node = parse_expression("  account.parent.industry")
    assert isinstance(node, n.Path)
    assert node.names == ("account", "parent", "industry")
    assert [(s.line, s.col) for s in node.segments] == [(1, 3), (1, 11), (1, 18)]


def test_keywords_do_not_swallow_longer_names() -> None:
    node = parse_expression("order or android and notes")
    assert isinstance(node, n.Logical)
    assert node.op == "or"
    assert _path(node.left) == ("order",)
    assert isinstance(node.right, n.Logical)
    assert _path(node.right.left) == ("android",)
    assert _path(node.right.right) == ("notes",)


def test_arithmetic_precedence_and_unary_minus() -> None:
    node = parse_expression("-a + b * (c - 2) / d")
    assert isinstance(node, n.Arith)
    assert node.op == "+"
    assert isinstance(node.left, n.Negate)
    right = node.right
    assert isinstance(right, n.Arith)
    assert right.op == "/"
    assert isinstance(right.left, n.Arith)
    assert right.left.op == "*"
    assert isinstance(right.left.right, n.Arith)
    assert right.left.right.op == "-"


def test_boolean_precedence_not_and_or() -> None:
    node = parse_expression("not a == 1 or b > 2 and c")
    assert isinstance(node, n.Logical)
    assert node.op == "or"
    assert isinstance(node.left, n.Not)
    assert isinstance(node.left.operand, n.Compare)
    assert isinstance(node.right, n.Logical)
    assert node.right.op == "and"


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons(op: str) -> None:
    node = parse_expression(f"amount {op} 10")
    assert isinstance(node, n.Compare)
    assert node.op == op
    assert (node.op_line, node.op_col) == (1, 8)


@pytest.mark.parametrize(("source", "negated"), [("x in (1, 2, 3)", False), ("x not in (1)", True)])
def test_in_tuple(source: str, negated: bool) -> None:
    node = parse_expression(source)
    assert isinstance(node, n.InTuple)
    assert node.negated is negated
    assert all(isinstance(o, n.Literal) for o in node.options)


@pytest.mark.parametrize(
    ("source", "negated"), [('"vip" in tags', False), ('"vip" not in account.labels', True)]
)
def test_in_list(source: str, negated: bool) -> None:
    node = parse_expression(source)
    assert isinstance(node, n.InList)
    assert node.negated is negated
    assert isinstance(node.container, n.Path)


@pytest.mark.parametrize(
    ("source", "negated"),
    [
        ("x is empty", False),
        ("x is null", False),
        ("x is not empty", True),
        ("x is not null", True),
    ],
)
def test_is_empty(source: str, negated: bool) -> None:
    node = parse_expression(source)
    assert isinstance(node, n.IsEmpty)
    assert node.negated is negated


@pytest.mark.parametrize("op", ["contains", "starts_with", "ends_with"])
def test_text_operators(op: str) -> None:
    node = parse_expression(f'name {op} "ab"')
    assert isinstance(node, n.TextMatch)
    assert node.op == op


def test_calls_with_zero_one_and_many_arguments() -> None:
    node = parse_expression("days_between(today(), coalesce(a, b, c))")
    assert isinstance(node, n.Call)
    assert node.name == "days_between"
    first, second = node.args
    assert isinstance(first, n.Call)
    assert first.args == ()
    assert isinstance(second, n.Call)
    assert len(second.args) == 3


def test_positions_on_later_lines() -> None:
    node = parse_expression('amount > 1\n  and name == "x"')
    assert isinstance(node, n.Logical)
    assert (node.op_line, node.op_col) == (2, 3)
    assert (node.right.line, node.right.col) == (2, 7)


def test_children_lists_sub_expressions() -> None:
    node = parse_expression("f(a, 1) + 2")
    assert [type(c) for c in n.children(node)] == [n.Call, n.Literal]


def _syntax_error(source: str) -> tuple[str, int, int, str]:
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    (diag,) = info.value.diagnostics
    assert diag.code == "RL001"
    assert diag.span.path == "<expr>"
    return diag.message, diag.span.line, diag.span.col, diag.context or ""


@pytest.mark.parametrize(
    ("source", "label", "line", "col", "caret"),
    [
        ("(amount > 1", "Unclosed parenthesis", 1, 1, "(amount > 1\n^"),
        ("len(name", "Unclosed parenthesis", 1, 4, "len(name\n   ^"),
        ("x in (1, 2", "Unclosed parenthesis", 1, 6, "x in (1, 2\n     ^"),
        ("amount = 1", "Use == for equality, not =", 1, 8, "amount = 1\n       ^"),
        ("amount >", "Missing operand", 1, 9, "amount >\n        ^"),
        ("a and", "Missing operand", 1, 6, "a and\n     ^"),
        ("1 + * 2", "Missing operand", 1, 5, "1 + * 2\n    ^"),
        ('name == "abc', "Unterminated string", 1, 9, 'name == "abc\n        ^'),
        ("name == 'abc", "Unterminated string", 1, 9, "name == 'abc\n        ^"),
        ("a > 1)", "Unexpected closing parenthesis", 1, 6, "a > 1)\n     ^"),
        ("a b", "Missing operator between two values", 1, 3, "a b\n  ^"),
        ("f(a b)", "Missing comma between arguments", 1, 5, "f(a b)\n    ^"),
        (
            "a < b < c",
            "Comparisons cannot be chained; combine them with 'and'",
            1,
            7,
            "a < b < c\n      ^",
        ),
        ("a && b", "Use the words and, or, not instead of &&, ||, !", 1, 3, "a && b\n  ^"),
        ("x is 5", "Expected 'empty' or 'not empty' after 'is'", 1, 6, "x is 5\n     ^"),
        ("", "Empty expression", 1, 1, "\n^"),
    ],
)
def test_syntax_error_labels(source: str, label: str, line: int, col: int, caret: str) -> None:
    assert _syntax_error(source) == (label, line, col, caret)


def test_syntax_error_on_a_later_line_points_there() -> None:
    message, line, col, context = _syntax_error('amount > 1 and\n  name = "x"')
    assert (message, line, col) == ("Use == for equality, not =", 2, 8)
    assert context == '  name = "x"\n       ^'


def test_unknown_character_is_named() -> None:
    message, line, col, _ = _syntax_error("a @ b")
    assert (message, line, col) == ("Unexpected character '@'", 1, 3)


def test_every_example_gets_its_own_label() -> None:
    for label, examples in EXAMPLES.items():
        for example in examples:
            message, *_ = _syntax_error(example)
            assert message == label, example


def test_positions_are_mapped_into_the_yaml_file() -> None:
    span = SourceSpan("entities/deal.yaml", 12, 14)
    with pytest.raises(ExpressionError) as info:
        parse_expression("amount = 1", span=span)
    (diag,) = info.value.diagnostics
    assert str(diag) == "entities/deal.yaml:12:21: error RL001: Use == for equality, not ="
    with pytest.raises(ExpressionError) as info:
        parse_expression("amount > 1 and\nname = 2", span=span)
    assert str(info.value.diagnostics[0].span) == "entities/deal.yaml:13:6"


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("(" * 3000 + "1" + ")" * 3000)
    assert info.value.diagnostics[0].code in {"RL001", "RL012"}


_PIECES = st.sampled_from(
    ["a", "b.c", "1", "2.5", '"x"', "'y", "(", ")", ",", "+", "-", "*", "/", "==", "=", "<",
     ">=", "!=", "and", "or", "not", "in", "is", "empty", "null", "true", "contains",
     "starts_with", "f(", "&", "\n", " "]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map(" ".join))
def test_any_input_parses_or_gives_a_syntax_diagnostic(source: str) -> None:
    try:
        parse_expression(source)
    except ExpressionError as err:
        (diag,) = err.diagnostics
        assert diag.code == "RL001"
        assert diag.span.line >= 1
        assert diag.span.col >= 1
        assert diag.context is not None
        assert "^" in diag.context
