"""Compile a typed tree into Python closures, once; evaluation walks no tree.

Each node becomes a function ``(record, ctx) -> value``. Nodes in a boolean
position become predicates that always return ``True`` or ``False`` (an empty
value counts as false). Common shapes (a field compared with a literal) get
specialised closures that read the record directly.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from trellis.metadata.model import DslType
from trellis.rules.expr import _runtime as rt
from trellis.rules.expr import typed as t
from trellis.rules.expr.context import EvalContext
from trellis.rules.expr.functions import FUNCTIONS
from trellis.rules.expr.text_case import fold_lower

Record = Mapping[str, Any]
Fn = Callable[[Record, EvalContext], Any]
Pred = Callable[[Record, EvalContext], bool]

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def compile_closure(node: t.Node) -> Fn:
    """Return the evaluation function of a whole expression."""
    if node.type is DslType.BOOLEAN:
        return predicate(node)
    return value(node)


def _simple_column(node: t.Node) -> str | None:
    """The column name when ``node`` is a field read straight from the record."""
    if isinstance(node, t.Field) and not node.hops and rt.field_normalizer(node) is None:
        return node.column
    return None


def _field(node: t.Field) -> Fn:
    name = node.column
    norm = rt.field_normalizer(node)
    if not node.hops:
        if norm is None:
            return lambda r, c: r.get(name)
        return lambda r, c: norm(r.get(name))
    hops = tuple((h.field, h.target) for h in node.hops)

    def read(r: Record, c: EvalContext) -> Any:
        rec: Record | None = r
        for field, target in hops:
            ref = rec.get(field) if rec is not None else None
            if ref is None:
                return None
            rec = c.resolve(target, ref)
        if rec is None:
            return None
        v = rec.get(name)
        return v if norm is None else norm(v)

    return read


def value(node: t.Node) -> Fn:
    """Return a closure computing the value of ``node`` (``None`` when empty)."""
    match node:
        case t.Const(value=v):
            return lambda r, c: v
        case t.ContextValue(kind=kind):
            if kind is t.ContextKind.NOW:
                return lambda r, c: c.now
            if kind is t.ContextKind.TODAY:
                return lambda r, c: c.today
            return lambda r, c: c.user_id
        case t.Field():
            return _field(node)
        case t.Negate(operand=o):
            f, neg = value(o), rt.negate
            return lambda r, c: neg(f(r, c))
        case t.ToDatetime(operand=o):
            f, conv = value(o), rt.to_datetime
            return lambda r, c: conv(f(r, c))
        case t.Arith(kind=kind, left=a, right=b):
            op, fa = rt.ARITH[kind], value(a)
            if isinstance(b, t.Const):
                k = b.value
                return lambda r, c: op(fa(r, c), k)
            fb = value(b)
            return lambda r, c: op(fa(r, c), fb(r, c))
        case t.Call(name=name, args=args):
            return _call(name, args)
        case t.Previous():
            return _previous(node)
        case t.StageAttr(field=f, values=values):
            fs, table = _field(f), dict(values)
            get = table.get
            return lambda r, c: get(fs(r, c))
        case _:
            return predicate(node)


def _previous(node: t.Previous) -> Fn:
    """``old(f)`` reads ``ctx.old``; ``changed(f)`` compares it with the record."""
    name = node.field.column
    norm = rt.field_normalizer(node.field) or (lambda v: v)
    if not node.changed:
        return lambda r, c: None if c.old is None else norm(c.old.get(name))
    empty = rt.empty_check(node.field.type)

    def changed(r: Record, c: EvalContext) -> bool:
        new = norm(r.get(name))
        if c.old is None:
            return not empty(new)
        return bool(new != norm(c.old.get(name)))

    return changed


def _call(name: str, args: tuple[t.Node, ...]) -> Fn:
    if name == "if":  # only the branch taken is computed; an empty condition is false
        test, then, other = predicate(args[0]), value(args[1]), value(args[2])
        return lambda r, c: then(r, c) if test(r, c) else other(r, c)
    impl = FUNCTIONS[name].impl
    if impl is None:  # context functions become ContextValue in the checker
        raise ValueError(f"function {name}() has no Python implementation")
    fns = [value(a) for a in args]
    if len(fns) == 1:
        f0 = fns[0]
        return lambda r, c: impl(f0(r, c))
    if len(fns) == 2:
        f0, f1 = fns
        return lambda r, c: impl(f0(r, c), f1(r, c))
    return lambda r, c: impl(*[f(r, c) for f in fns])


def predicate(node: t.Node) -> Pred:
    """Return a closure giving the truth of ``node``; empty counts as false."""
    match node:
        case t.Compare():
            return _compare(node)
        case t.Equal():
            return _equal(node)
        case t.And(left=a, right=b):
            pa, pb = predicate(a), predicate(b)
            return lambda r, c: pa(r, c) and pb(r, c)
        case t.Or(left=a, right=b):
            pa, pb = predicate(a), predicate(b)
            return lambda r, c: pa(r, c) or pb(r, c)
        case t.Not(operand=o):
            p = predicate(o)
            return lambda r, c: not p(r, c)
        case t.InValues():
            return _in_values(node)
        case t.ListHas(container=lst, element=e, negated=neg):
            return _list_has(lst, e, neg)
        case t.IsEmpty(operand=o, negated=neg):
            return _is_empty(o, neg)
        case t.TextMatch(op=op, left=a, right=b):
            match_fn, fa, fb = rt.TEXT_MATCH[op], value(a), value(b)
            return lambda r, c: match_fn(fa(r, c), fb(r, c))
        case _:
            name = _simple_column(node)
            if name is not None:
                return lambda r, c: bool(r.get(name))
            f = value(node)
            return lambda r, c: bool(f(r, c))


def _compare(node: t.Compare) -> Pred:
    op = _ORDER[node.op]
    name = _simple_column(node.left)
    if name is not None and isinstance(node.right, t.Const) and node.right.value is not None:
        k = node.right.value

        def field_vs_const(r: Record, c: EvalContext) -> bool:
            v = r.get(name)
            return v is not None and op(v, k)

        return field_vs_const
    left = node.left
    if (
        isinstance(left, t.Field)
        and not left.hops
        and isinstance(node.right, t.Const)
        and node.right.value is not None
    ):
        # A normalised field (money, decimal, datetime) against a literal: one closure.
        column, norm, k = left.column, rt.field_normalizer(left), node.right.value
        if norm is not None:

            def normalised_vs_const(r: Record, c: EvalContext) -> bool:
                v = r.get(column)
                return v is not None and op(norm(v), k)

            return normalised_vs_const
    fa, fb = value(node.left), value(node.right)

    def general(r: Record, c: EvalContext) -> bool:
        a = fa(r, c)
        if a is None:
            return False
        b = fb(r, c)
        return b is not None and op(a, b)

    return general


def _equal(node: t.Equal) -> Pred:
    op = operator.ne if node.negated else operator.eq
    name = _simple_column(node.left)
    if name is not None and isinstance(node.right, t.Const):
        k = node.right.value
        return lambda r, c: op(r.get(name), k)
    fa, fb = value(node.left), value(node.right)
    return lambda r, c: op(fa(r, c), fb(r, c))


def _in_values(node: t.InValues) -> Pred:
    fe = value(node.element)
    negated = node.negated
    if all(isinstance(o, t.Const) for o in node.options):
        options = frozenset(o.value for o in node.options if isinstance(o, t.Const))
        name = _simple_column(node.element)
        if name is not None:
            if negated:
                return lambda r, c: r.get(name) not in options
            return lambda r, c: r.get(name) in options
        if negated:
            return lambda r, c: fe(r, c) not in options
        return lambda r, c: fe(r, c) in options
    fns = [value(o) for o in node.options]

    def general(r: Record, c: EvalContext) -> bool:
        v = fe(r, c)
        found = any(v == f(r, c) for f in fns)
        return not found if negated else found

    return general


def _list_has(container: t.Node, element: t.Node, negated: bool) -> Pred:
    fl, has = value(container), rt.list_has
    if isinstance(element, t.Const) and isinstance(element.value, str):
        needle = fold_lower(element.value)

        def const_needle(r: Record, c: EvalContext) -> bool:
            items = fl(r, c)
            found = bool(items) and any(
                isinstance(i, str) and fold_lower(i) == needle for i in items
            )
            return not found if negated else found

        return const_needle
    fe = value(element)
    if negated:
        return lambda r, c: not has(fl(r, c), fe(r, c))
    return lambda r, c: has(fl(r, c), fe(r, c))


def _is_empty(operand: t.Node, negated: bool) -> Pred:
    f, check = value(operand), rt.empty_check(operand.type)
    if negated:
        return lambda r, c: not check(f(r, c))
    return lambda r, c: check(f(r, c))
