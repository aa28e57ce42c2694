"""A plain tree-walking interpreter of the typed tree.

It exists only as a baseline for benchmarks (``bench/`` compares it with the
compiled closures) and as an independent cross-check in tests. Production code
evaluates with :meth:`CompiledExpression.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trellis.metadata.model import DslType
from trellis.rules.expr import _runtime as rt
from trellis.rules.expr import typed as t
from trellis.rules.expr._closures import value as closure_value
from trellis.rules.expr.compiled import CompiledExpression
from trellis.rules.expr.context import EvalContext
from trellis.rules.expr.functions import FUNCTIONS

Record = Mapping[str, Any]


def interpret(node: t.Node | CompiledExpression, record: Record, ctx: EvalContext) -> Any:
    """Evaluate ``node`` (or a compiled expression's tree) by walking it.

    Gives the same results as :meth:`CompiledExpression.evaluate`, only slower.
    """
    tree = node.tree if isinstance(node, CompiledExpression) else node
    if tree.type is DslType.BOOLEAN:
        return _truth(tree, record, ctx)
    return _value(tree, record, ctx)


def _field(node: t.Field, r: Record, c: EvalContext) -> Any:
    rec: Record | None = r
    for hop in node.hops:
        ref = rec.get(hop.field) if rec is not None else None
        rec = None if ref is None else c.resolve(hop.target, ref)
    if rec is None:
        return None
    v = rec.get(node.column)
    norm = rt.field_normalizer(node)
    return v if norm is None else norm(v)


def _value(node: t.Node, r: Record, c: EvalContext) -> Any:
    match node:
        case t.Const(value=v):
            return v
        case t.ContextValue(kind=kind):
            if kind is t.ContextKind.NOW:
                return c.now
            return c.today if kind is t.ContextKind.TODAY else c.user_id
        case t.Field():
            return _field(node, r, c)
        case t.Negate(operand=o):
            return rt.negate(_value(o, r, c))
        case t.ToDatetime(operand=o):
            return rt.to_datetime(_value(o, r, c))
        case t.Arith(kind=kind, left=a, right=b):
            return rt.ARITH[kind](_value(a, r, c), _value(b, r, c))
        case t.Previous():
            return closure_value(node)(r, c)
        case t.StageAttr(field=f, values=values):
            return dict(values).get(_field(f, r, c))
        case t.Call(name=name, args=args):
            impl = FUNCTIONS[name].impl
            if impl is None:
                raise ValueError(f"function {name}() has no Python implementation")
            return impl(*[_value(a, r, c) for a in args])
        case _:
            return _truth(node, r, c)


def _truth(node: t.Node, r: Record, c: EvalContext) -> bool:
    match node:
        case t.Compare(op=op, left=a, right=b):
            return bool(rt.ordered(op)(_value(a, r, c), _value(b, r, c)))
        case t.Equal(negated=neg, left=a, right=b):
            return bool(_value(a, r, c) == _value(b, r, c)) != neg
        case t.And(left=a, right=b):
            return _truth(a, r, c) and _truth(b, r, c)
        case t.Or(left=a, right=b):
            return _truth(a, r, c) or _truth(b, r, c)
        case t.Not(operand=o):
            return not _truth(o, r, c)
        case t.InValues(element=e, options=opts, negated=neg):
            v = _value(e, r, c)
            return any(v == _value(o, r, c) for o in opts) != neg
        case t.ListHas(container=lst, element=e, negated=neg):
            return rt.list_has(_value(lst, r, c), _value(e, r, c)) != neg
        case t.IsEmpty(operand=o, negated=neg):
            return rt.empty_check(o.type)(_value(o, r, c)) != neg
        case t.TextMatch(op=op, left=a, right=b):
            return rt.TEXT_MATCH[op](_value(a, r, c), _value(b, r, c))
        case _:
            return bool(_value(node, r, c))
