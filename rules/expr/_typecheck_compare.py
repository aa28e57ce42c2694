"""Type-check comparisons, membership tests and text matches."""

from __future__ import annotations

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model import DslType, FieldType
from trellis.rules.expr import codes
from trellis.rules.expr import nodes as n
from trellis.rules.expr import typed as t
from trellis.rules.expr._typecheck_calls import ErrorSink
from trellis.rules.expr._typing_rules import describe, equality_type, ordering_type, promote

T = DslType
#: Types of a record id looked for in a ``many_to_many`` field.
_ID_TYPES = (T.NUMBER, T.REFERENCE, T.ANY)


def holds_ids(node: t.Node) -> bool:
    """Whether ``node`` is a ``many_to_many`` field: a list of record ids."""
    return isinstance(node, t.Field) and node.field_type == FieldType.MANY_TO_MANY


def _has_id(
    checker: ErrorSink, node: n.InList | n.TextMatch, ids: t.Node, e: t.Node, negated: bool
) -> t.Node:
    """``7 in links`` / ``links contains 7``: the element must be a record id."""
    if e.type not in _ID_TYPES:
        element = node.element if isinstance(node, n.InList) else node.right
        return checker.error(
            codes.TYPE_MISMATCH,
            f"This field holds record ids; cannot look for {describe(element, e.type)}",
            node.op_line,
            node.op_col,
        )
    return t.ListHas(T.BOOLEAN, node.line, node.col, ids, e, negated)


def _any_id(node: n.InTuple, e: t.Node, opts: list[t.Node]) -> t.Node:
    """``links in (3, 7)``: the field holds at least one of the ids (``not in``: none)."""
    tests = [t.ListHas(T.BOOLEAN, node.line, node.col, e, o, False) for o in opts]
    found: t.Node = tests[0]  # the grammar refuses ``x in ()``
    for has in tests[1:]:
        found = t.Or(T.BOOLEAN, node.line, node.col, found, has)
    return t.Not(T.BOOLEAN, node.line, node.col, found) if node.negated else found


def empty_compare(
    checker: ErrorSink, node: n.Compare | n.InTuple | n.InList | n.TextMatch
) -> t.Const:
    """The error for comparing with ``empty`` (say ``is empty`` instead)."""
    if isinstance(node, n.Compare) and node.op in ("==", "!="):
        other = node.right if isinstance(node.left, n.Literal) else node.left
        subject = ".".join(other.names) if isinstance(other, n.Path) else "x"
        test = "is not empty" if node.op == "!=" else "is empty"
        message = f"Write '{subject} {test}' to test for an empty value, not '{node.op} empty'"
    else:
        op = node.op if isinstance(node, (n.Compare, n.TextMatch)) else "in"
        message = f"Comparing with empty using '{op}' is always false; use 'is empty'"
    return checker.error(codes.COMPARE_EMPTY, message, node.op_line, node.op_col)


def compare(checker: ErrorSink, node: n.Compare, a: t.Node, b: t.Node) -> t.Node:
    """``a <op> b``: equality or ordering of two values of one type."""
    if T.ANY in (a.type, b.type):
        return t.Const(T.ANY, node.line, node.col, None)
    if T.NULL in (a.type, b.type):
        return empty_compare(checker, node)
    equality = node.op in ("==", "!=")
    common = equality_type(a.type, b.type) if equality else ordering_type(a.type, b.type)
    if common is None:
        hint = "; lists are tested with contains or in" if T.LIST in (a.type, b.type) else ""
        return checker.error(
            codes.TYPE_MISMATCH,
            f"Cannot compare {describe(node.left, a.type)} with "
            f"{describe(node.right, b.type)} using '{node.op}'{hint}",
            node.op_line,
            node.op_col,
        )
    if common is T.DATETIME:
        a, b = promote(a), promote(b)
    if equality:
        check_option(checker, a, b)
        check_option(checker, b, a)
        return t.Equal(T.BOOLEAN, node.line, node.col, node.op == "!=", a, b)
    return t.Compare(T.BOOLEAN, node.line, node.col, node.op, a, b)


def check_option(checker: ErrorSink, field: t.Node, value: t.Node) -> None:
    """A text constant compared with an enum field must be one of its options."""
    if not (isinstance(field, t.Field) and field.options and isinstance(value, t.Const)):
        return
    if isinstance(value.value, str) and value.value not in field.options:
        checker.error(
            codes.UNKNOWN_OPTION,
            f"'{value.value}' is not an option of field '{'.'.join(field.path)}' "
            f"(options: {', '.join(field.options)})",
            value.line,
            value.col,
            did_you_mean(value.value, field.options),
        )


def in_tuple(checker: ErrorSink, node: n.InTuple, e: t.Node, opts: list[t.Node]) -> t.Node:
    """``x in (a, b, …)``: each value must be comparable with ``x``."""
    if e.type is T.NULL or any(o.type is T.NULL for o in opts):
        return empty_compare(checker, node)
    if holds_ids(e):
        for syntax, o in zip(node.options, opts, strict=True):
            if o.type not in _ID_TYPES:
                checker.error(
                    codes.TYPE_MISMATCH,
                    f"{describe(node.element, e.type)} holds record ids; "
                    f"{describe(syntax, o.type)} is not an id",
                    o.line,
                    o.col,
                )
        return _any_id(node, e, opts)
    checked: list[t.Node] = []
    datetime_mix = False
    for syntax, o in zip(node.options, opts, strict=True):
        if T.ANY in (e.type, o.type):
            continue
        common = equality_type(e.type, o.type)
        if common is None:
            checker.error(
                codes.TYPE_MISMATCH,
                f"Cannot look for {describe(node.element, e.type)} among values "
                f"of another type: {describe(syntax, o.type)}",
                o.line,
                o.col,
            )
            continue
        datetime_mix = datetime_mix or common is T.DATETIME
        check_option(checker, e, o)
        checked.append(o)
    if datetime_mix:
        e, checked = promote(e), [promote(o) for o in checked]
    return t.InValues(T.BOOLEAN, node.line, node.col, e, tuple(checked), node.negated)


def in_list(checker: ErrorSink, node: n.InList, e: t.Node, c: t.Node) -> t.Node:
    """``text in list_field``: the container must be a list, the element text."""
    if e.type is T.NULL:
        return empty_compare(checker, node)
    if c.type not in (T.LIST, T.ANY):
        return checker.error(
            codes.TYPE_MISMATCH,
            f"'in' needs a list such as tags, or values in parentheses like "
            f'x in ("a", "b"); {describe(node.container, c.type)} is not a list',
            node.op_line,
            node.op_col,
        )
    if holds_ids(c):
        return _has_id(checker, node, c, e, node.negated)
    if e.type not in (T.TEXT, T.ANY):
        return checker.error(
            codes.TYPE_MISMATCH,
            f"Lists hold text; cannot look for {describe(node.element, e.type)}",
            node.op_line,
            node.op_col,
        )
    check_option(checker, c, e)
    return t.ListHas(T.BOOLEAN, node.line, node.col, c, e, node.negated)


def text_match(checker: ErrorSink, node: n.TextMatch, a: t.Node, b: t.Node) -> t.Node:
    """``contains``/``starts with``/``ends with`` on text (``contains`` also on lists)."""
    if T.ANY in (a.type, b.type):
        return t.Const(T.ANY, node.line, node.col, None)
    if T.NULL in (a.type, b.type):
        return empty_compare(checker, node)
    if node.op == "contains" and holds_ids(a):
        return _has_id(checker, node, a, b, False)
    if node.op == "contains" and a.type is T.LIST and b.type is T.TEXT:
        check_option(checker, a, b)
        return t.ListHas(T.BOOLEAN, node.line, node.col, a, b, False)
    if a.type is T.TEXT and b.type is T.TEXT:
        return t.TextMatch(T.BOOLEAN, node.line, node.col, node.op, a, b)
    return checker.error(
        codes.TYPE_MISMATCH,
        f"'{node.op}' needs text on both sides"
        f"{' (or a list on the left)' if node.op == 'contains' else ''}, got "
        f"{describe(node.left, a.type)} and {describe(node.right, b.type)}",
        node.op_line,
        node.op_col,
    )


__all__ = ["compare", "holds_ids", "in_list", "in_tuple", "text_match"]
