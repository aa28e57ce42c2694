"""SQL versions of the function library, matching the Python ones in ``functions``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import reduce
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model import DslType
from trellis.rules.expr import _sql_dialect as d
from trellis.rules.expr import typed as t
from trellis.rules.expr._runtime import TRIM_CHARS

Col = sa.ColumnElement[Any]
SqlFunction = Callable[[Sequence[Col], Sequence[t.Node]], Col]

#: CAST target for exact division: NUMERIC, but REAL on SQLite (whose NUMERIC keeps integers).
NUMERIC = sa.Numeric().with_variant(sa.Float(), "sqlite")


def as_datetime(value: Col, node: t.Node) -> Col:
    """Use a date expression as a datetime (midnight UTC)."""
    return d.DateToDatetime(value) if node.type is DslType.DATE else value


def as_date(value: Col, node: t.Node) -> Col:
    """Use a datetime expression as its UTC date."""
    return d.DatetimeToDate(value) if node.type is DslType.DATETIME else value


def _days_between(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    a, b = args
    if nodes[0].type is DslType.DATE and nodes[1].type is DslType.DATE:
        return d.DateDiff(b, a)
    return d.WholeDaysBetween(as_datetime(a, nodes[0]), as_datetime(b, nodes[1]))


def _len(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    if nodes[0].type is DslType.LIST:
        return d.ListLength(args[0])
    return sa.func.length(args[0], type_=sa.Integer())


def _coalesce(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    if all(n.type is DslType.TEXT or n.type is DslType.NULL for n in nodes):
        # Empty text counts as empty, as in Python.
        args = [sa.func.nullif(a, sa.literal("", sa.String())) for a in args]
    if any(n.type is DslType.NUMBER for n in nodes):
        return sa.func.coalesce(*args, type_=sa.Numeric())  # not the first column's scale
    return sa.func.coalesce(*args)


def _round(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    value = sa.cast(args[0], NUMERIC)
    digit_node = nodes[1] if len(nodes) > 1 else None
    digits = digit_node.value if isinstance(digit_node, t.Const) else 0
    if digits >= 0:
        places = sa.literal(digits, sa.Integer())
        return sa.func.round(value, places, type_=sa.Numeric())
    # SQLite ignores negative places: scale down, round, scale back up.
    factor = sa.literal(Decimal(10) ** -digits, sa.Numeric())  # 10**20 is past BIGINT
    return sa.func.round(value / factor, type_=sa.Numeric()) * factor


def _pick(smaller: bool) -> SqlFunction:
    def pick(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
        a, b = args
        first = a <= b if smaller else a >= b
        picked = sa.case((sa.or_(a.is_(None), b.is_(None)), sa.null()), (first, a), else_=b)
        if any(n.type is DslType.NUMBER for n in nodes):
            # Either side may win: no column's scale may round the other's value.
            return sa.type_coerce(picked, sa.Numeric())
        return picked

    return pick


def _if(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    test, then, other = args
    picked = sa.case((test, then), else_=other)
    if DslType.NUMBER in (nodes[1].type, nodes[2].type):
        return sa.type_coerce(picked, sa.Numeric())  # not one branch's scale
    return picked


def _divide(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    a, b = args[0], args[1]
    default = args[2] if len(args) > 2 else sa.cast(sa.null(), sa.Numeric())
    quotient = sa.cast(a, NUMERIC) / sa.func.nullif(b, 0)  # never a division error
    picked = sa.case((sa.func.coalesce(b, 0) == 0, default), else_=quotient)
    return sa.type_coerce(picked, NUMERIC)


def _hash_bucket(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    text = sa.func.nullif(sa.cast(args[0], sa.String()), sa.literal("", sa.String()))
    return sa.type_coerce(d.Hash32(text) % args[1], sa.BigInteger())


def _concat(args: Sequence[Col], nodes: Sequence[t.Node]) -> Col:
    parts = [sa.func.coalesce(a, sa.literal("", sa.String()), type_=sa.String()) for a in args]
    return reduce(lambda x, y: x.concat(y), parts)


def _date_part(part: Callable[[Col], Col]) -> SqlFunction:
    return lambda args, nodes: part(as_date(args[0], nodes[0]))


def _one(fn: Callable[[Col], Col]) -> SqlFunction:
    return lambda args, nodes: fn(args[0])


SQL_FUNCTIONS: dict[str, SqlFunction] = {
    "days_between": _days_between,
    "lower": _one(d.Lower),
    "upper": _one(d.Upper),
    "trim": _one(lambda x: d.Trim(x, sa.literal(TRIM_CHARS, sa.String()))),
    "len": _len,
    "coalesce": _coalesce,
    "round": _round,
    "abs": _one(lambda x: sa.func.abs(d.ExactNumber(x), type_=sa.Numeric())),
    "min": _pick(smaller=True),
    "max": _pick(smaller=False),
    "concat": _concat,
    "if": _if,
    "divide": _divide,
    "hash_bucket": _hash_bucket,
    "year": _date_part(d.Year),
    "month": _date_part(d.Month),
    "day": _date_part(d.Day),
    "date": lambda args, nodes: as_date(args[0], nodes[0]),
    "datetime": lambda args, nodes: as_datetime(args[0], nodes[0]),
    "days": _one(lambda x: x),
    "hours": _one(lambda x: sa.cast(x, NUMERIC) / sa.literal(24, sa.Integer())),
}
