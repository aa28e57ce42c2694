"""Type-check the functions with rules of their own: ``if()`` and ``hash_bucket()``.

``if(condition, then, else)`` gives one type: both branches must agree, where an
empty literal fits any type, a reference fits a number, and a date meets a
datetime as that datetime (midnight UTC). Two money fields whose amounts carry
different currencies never meet in one ``if()``. An empty condition picks ``else``.
"""

from __future__ import annotations

from typing import Protocol

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model import AppModel, DslType, FieldType
from trellis.rules.expr import codes
from trellis.rules.expr import nodes as n
from trellis.rules.expr import typed as t
from trellis.rules.expr._typing_rules import describe, promote, unify

T = DslType
#: Number fields that always hold whole numbers (``id`` reads as an integer field).
_WHOLE_FIELDS = frozenset({FieldType.INTEGER, FieldType.USER, FieldType.REFERENCE})
#: Most buckets ``hash_bucket()`` takes.
MAX_BUCKETS = 1_000_000


class ErrorSink(Protocol):
    """Where errors go (the type checker), with the model it checks against."""

    model: AppModel

    def error(
        self, code: str, message: str, line: int, col: int, suggestion: str | None = None
    ) -> t.Const:
        """Record a diagnostic and return a poisoned node."""
        ...


def branch_type(a: DslType, b: DslType) -> DslType | None:
    """The one type of two ``if()`` branches, or None if they do not fit together."""
    if {a, b} == {T.DATE, T.DATETIME}:
        return T.DATETIME
    return unify([a, b])


def _currency_source(checker: ErrorSink, node: t.Node) -> tuple[str, str | None] | None:
    """For a money field, where its currency comes from: (entity, currency field)."""
    if not isinstance(node, t.Field) or node.field_type != FieldType.MONEY:
        return None
    fd = checker.model.entity(node.entity).fields.get(node.column)
    currency = fd.currency_field if fd is not None else None
    return (node.entity, currency) if currency is not None else ("", None)


def _same_currency_field(checker: ErrorSink, then: t.Node, other: t.Node) -> str | None:
    """A money field in the then branch's currency, named like the else branch, if any."""
    if not isinstance(then, t.Field) or then.hops or not isinstance(other, t.Field):
        return None
    fields = checker.model.entity(then.entity).fields
    currency = fields[then.column].currency_field if then.column in fields else None
    same = [
        f.name
        for f in fields.values()
        if f.type == FieldType.MONEY and f.currency_field == currency and f.name != then.column
    ]
    return did_you_mean(other.column, same) or (same[0] if same else None)


def check_if(checker: ErrorSink, node: n.Call, args: list[t.Node]) -> t.Node:
    """``if(condition, then, else)``: branches unified, dates promoted when mixed."""
    cond, then, other = args
    result = branch_type(then.type, other.type)
    syntax_then, syntax_else = node.args[1], node.args[2]
    if result is None:
        return checker.error(
            codes.BRANCH_TYPE,
            f"The branches of if() must have one type: 'then' gives "
            f"{describe(syntax_then, then.type)}, 'else' gives {describe(syntax_else, other.type)}",
            other.line,
            other.col,
            "empty",  # a value of any type: "no value" in the else branch
        )
    money = _currency_source(checker, then), _currency_source(checker, other)
    if None not in money and money[0] != money[1]:
        return checker.error(
            codes.BRANCH_TYPE,
            f"The branches of if() are amounts in different currencies: "
            f"{describe(syntax_then, then.type)} and {describe(syntax_else, other.type)}",
            other.line,
            other.col,
            _same_currency_field(checker, then, other),
        )
    if result is T.DATETIME:
        then, other = promote(then), promote(other)
    return t.Call(result, node.line, node.col, "if", (cond, then, other))


def _whole_number(node: t.Node) -> bool:
    if isinstance(node, t.Const):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, t.ContextValue):
        return node.kind is t.ContextKind.USER
    return isinstance(node, t.Field) and node.field_type in _WHOLE_FIELDS


def check_hash_bucket(checker: ErrorSink, node: n.Call, args: list[t.Node]) -> t.Const | None:
    """``hash_bucket(value, n)``: a whole-number value, ``n`` a literal from 1 to 1000000.

    Returns the error node, or None when the call is fine.
    """
    value, buckets = args
    if value.type is T.NUMBER and not _whole_number(value):
        return checker.error(
            codes.ARGUMENT_TYPE,
            f"hash_bucket() hashes text, a reference or a whole-number field, not "
            f"{describe(node.args[0], value.type)}",
            value.line,
            value.col,
            "id",
        )
    if not (
        isinstance(buckets, t.Const)
        and isinstance(buckets.value, int)
        and 1 <= buckets.value <= MAX_BUCKETS
    ):
        return checker.error(
            codes.INVALID_LITERAL,
            f"hash_bucket() needs the number of buckets as a whole number from 1 to {MAX_BUCKETS}",
            buckets.line,
            buckets.col,
            "2",
        )
    return None
