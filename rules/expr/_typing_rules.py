"""Which operand types each operator accepts, and what it gives back."""

from __future__ import annotations

from collections.abc import Iterable

from trellis.metadata.model import DslType
from trellis.rules.expr import nodes as n
from trellis.rules.expr import typed as t
from trellis.rules.expr._runtime import to_datetime

T = DslType
K = t.ArithKind
_NUMBER_OPS = {"+": K.ADD, "-": K.SUB, "*": K.MUL, "/": K.DIV}
_EQUALITY = frozenset({T.NUMBER, T.TEXT, T.BOOLEAN, T.DATE, T.DATETIME, T.REFERENCE})
_ORDERING = frozenset({T.NUMBER, T.TEXT, T.DATE, T.DATETIME})
_WHEN = frozenset({T.DATE, T.DATETIME})

#: (kind or None for "always empty", result type, swap operands)
ArithRule = tuple[t.ArithKind | None, DslType, bool]


def arith_kind(op: str, a: DslType, b: DslType) -> ArithRule | None:
    """Return how ``a op b`` is computed, or None if the types do not fit.

    Numbers combine with ``+ - * /``; a date or datetime plus or minus a number
    moves it by that many days; the difference of two dates or datetimes is a
    number of days. An empty literal operand makes the result empty.
    """
    if T.NULL in (a, b):
        other = b if a is T.NULL else a
        if other in (T.NULL, T.NUMBER) or (other in _WHEN and op in "+-"):
            return None, other, False
        return None
    if a is T.NUMBER and b is T.NUMBER:
        return _NUMBER_OPS[op], T.NUMBER, False
    if op == "+":
        if a in _WHEN and b is T.NUMBER:
            return _plus_days(a), a, False
        if a is T.NUMBER and b in _WHEN:
            return _plus_days(b), b, True
    if op == "-":
        if a in _WHEN and b is T.NUMBER:
            return _plus_days(a), a, False
        if a is T.DATE and b is T.DATE:
            return K.DATE_DIFF, T.NUMBER, False
        if a in _WHEN and b in _WHEN:
            return K.DATETIME_DIFF, T.NUMBER, False
    return None


def _plus_days(when: DslType) -> t.ArithKind:
    return K.DATE_PLUS_DAYS if when is T.DATE else K.DATETIME_PLUS_DAYS


def equality_type(a: DslType, b: DslType) -> DslType | None:
    """The type both sides of ``==`` are compared as, or None if incomparable."""
    if a is b and a in _EQUALITY:
        return a
    pair = {a, b}
    if pair == {T.NUMBER, T.REFERENCE}:
        return T.NUMBER
    if pair == {T.DATE, T.DATETIME}:
        return T.DATETIME
    return None


def ordering_type(a: DslType, b: DslType) -> DslType | None:
    """The type both sides of ``< <= > >=`` are compared as, or None."""
    if a is b and a in _ORDERING:
        return a
    if {a, b} == {T.DATE, T.DATETIME}:
        return T.DATETIME
    return None


def unify(types: Iterable[DslType]) -> DslType | None:
    """The one type shared by ``types`` (empty literals fit any), or None."""
    found = {ty for ty in types if ty is not T.NULL}
    if not found:
        return T.NULL
    if found == {T.NUMBER, T.REFERENCE}:
        return T.NUMBER
    return found.pop() if len(found) == 1 else None


def fits(actual: DslType, expected: DslType) -> bool:
    """Whether a result of type ``actual`` is acceptable where ``expected`` is wanted."""
    if actual is expected or actual is T.NULL or expected is T.ANY:
        return True
    return {actual, expected} == {T.NUMBER, T.REFERENCE}


def promote(node: t.Node) -> t.Node:
    """Use a date node as a datetime (midnight UTC); other nodes are unchanged."""
    if node.type is not T.DATE:
        return node
    if isinstance(node, t.Const):
        return t.Const(T.DATETIME, node.line, node.col, to_datetime(node.value))
    return t.ToDatetime(T.DATETIME, node.line, node.col, node)


def describe(syntax: n.Expr, typ: DslType) -> str:
    """Name an operand for a message: ``'amount' (number)`` or ``"abc" (text)``."""
    if isinstance(syntax, n.Path):
        return f"'{'.'.join(syntax.names)}' ({typ})"
    if isinstance(syntax, n.Literal) and syntax.value is not None:
        shown = f'"{syntax.value}"' if isinstance(syntax.value, str) else str(syntax.value)
        if isinstance(syntax.value, bool):
            shown = shown.lower()
        return f"{shown} ({typ})"
    return str(typ)
