"""Compile a typed tree into a SQLAlchemy Core expression over the entity's table.

Boolean nodes compile to a pair ``(expression, may_be_null)``. A NULL in
``WHERE`` already means false, and AND/OR keep that meaning, so predicates stay
plain (and index-friendly) until a place needs a real boolean: under NOT, as a
compared value, or as the selected result; there ``coalesce(x, false)`` is added.

Sub-expressions that read no field (``today() + 30``) are computed in Python
with the same context and bound as parameters, so closures and SQL agree.
References become correlated scalar subqueries on the target table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import Grouping

from trellis.metadata.model import DslType, FieldType, SourceSpan
from trellis.metadata.model.links import link_table_name
from trellis.metadata.model.rich_text import plain_column
from trellis.rules.expr import _sql_dialect as d
from trellis.rules.expr import codes
from trellis.rules.expr import typed as t
from trellis.rules.expr._closures import value as closure_value
from trellis.rules.expr._sql_functions import NUMERIC, SQL_FUNCTIONS
from trellis.rules.expr.context import EvalContext
from trellis.rules.expr.errors import ExpressionError, Locator
from trellis.rules.expr.text_case import fold_lower

Col = sa.ColumnElement[Any]
Tables = Callable[[str], sa.Table]
#: Extra condition on a referenced table reached through a path: (entity, alias) -> SQL.
HopScope = Callable[[str, sa.FromClause], sa.ColumnElement[Any] | None]
Pred = tuple[Col, bool]

_SQL_TYPES: dict[DslType, sa.types.TypeEngine[Any]] = {
    DslType.NUMBER: sa.Numeric(),
    DslType.REFERENCE: sa.BigInteger(),
    DslType.TEXT: sa.String(),
    DslType.BOOLEAN: sa.Boolean(),
    DslType.DATE: sa.Date(),
    DslType.DATETIME: sa.DateTime(timezone=True),
    DslType.LIST: sa.JSON(),
}
_ORDER: dict[str, Callable[[Col, Col], Col]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ESCAPE = "/"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UNSET = object()


def bind(value: Any, typ: DslType) -> Col:
    """A typed bound parameter (or typed NULL) for a Python value."""
    if value is None:
        sql_type = _SQL_TYPES.get(typ)
        return sa.null() if sql_type is None else sa.cast(sa.null(), sql_type)
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return sa.literal(value, sa.BigInteger())
        # Beyond a 64-bit integer (SQLite cannot bind it): a NUMERIC (REAL on SQLite).
        return sa.literal(Decimal(value), sa.Numeric())
    if isinstance(value, Decimal):
        return sa.literal(value, sa.Numeric())
    if isinstance(value, str):
        return sa.literal(value, sa.String())
    if isinstance(value, datetime):
        return sa.literal(value.astimezone(UTC), sa.DateTime(timezone=True))
    if isinstance(value, date):
        return sa.literal(value, sa.Date())
    return sa.literal(value, _SQL_TYPES.get(typ))


def like_escape(text: str) -> str:
    """Escape ``%``, ``_`` and the escape character for a LIKE pattern."""
    return (
        text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


def _read_column(node: t.Field) -> str:
    """The column a field is read from: rich text is read as its plain text."""
    if node.field_type == FieldType.RICH_TEXT:
        return plain_column(node.column)
    return node.column


def refuse_python_only(node: t.Node, source: str = "", span: SourceSpan | None = None) -> None:
    """Raise ``RL015`` when ``node`` calls a function that has no SQL form.

    Raises:
        ExpressionError: naming the call's position (in ``source`` when given).
    """
    call = t.python_only_call(node)
    if call is not None:
        message = (
            f"{call.name}() works in formulas, validations and rules, not in filters or queries"
        )
        raise ExpressionError(
            [Locator(source, span).diagnostic(codes.NO_SQL_FORM, message, call.line, call.col)]
        )


class SqlCompiler:
    """Builds the SQL of one typed tree for one set of tables and context."""

    def __init__(
        self, entity: str, tables: Tables, ctx: EvalContext, hop_scope: HopScope | None = None
    ) -> None:
        self.entity = entity
        self.tables = tables
        self.ctx = ctx
        self.hop_scope = hop_scope

    def compile(self, node: t.Node, *, as_value: bool = False) -> Col:
        """The SQL of a whole expression.

        With ``as_value`` a boolean result is never NULL (for selecting it);
        otherwise it may be NULL where it means false (fine in ``WHERE``).

        Raises:
            ExpressionError: ``RL013`` when the tree uses ``old()`` or ``changed()``,
                which need the stored record of a save and have no SQL form.
        """
        if t.uses_previous(node):
            raise ExpressionError(
                [
                    Locator("").diagnostic(
                        codes.NO_PREVIOUS,
                        "old() and changed() only work in rules run on a save, "
                        "not in filters or queries",
                        node.line,
                        node.col,
                    )
                ]
            )
        refuse_python_only(node)
        if node.type is not DslType.BOOLEAN:
            return self.value(node)
        if as_value:
            return sa.type_coerce(self.definite(node), sa.Boolean())
        return self.predicate(node)[0]

    # -- values -------------------------------------------------------------------

    def constant(self, node: t.Node) -> Any:
        """The Python value of ``node`` if it reads no field, else ``_UNSET``."""
        if isinstance(node, t.Const):
            return node.value
        if t.reads_record(node):
            return _UNSET
        return closure_value(node)({}, self.ctx)

    def value(self, node: t.Node) -> Col:
        """The SQL value of ``node``; boolean operators give a definite boolean."""
        if not isinstance(node, t.Field):
            k = self.constant(node)
            if k is not _UNSET:
                return bind(k, node.type)
        match node:
            case t.Field():
                return self._field(node)
            case t.Negate(operand=o):
                return -d.ExactNumber(self.value(o))
            case t.ToDatetime(operand=o):
                return d.DateToDatetime(self.value(o))
            case t.Arith():
                return self._arith(node)
            case t.Call(name=name, args=args):
                return SQL_FUNCTIONS[name]([self.value(a) for a in args], args)
            case t.StageAttr(field=f, values=values):
                return self._stage_attr(node, self.value(f), values)
            case _:
                # Explicit parentheses: SQLAlchemy does not group ``NOT x`` on the left
                # of IS [NOT] DISTINCT FROM, which PostgreSQL parses as NOT (x IS ...).
                return Grouping(self.definite(node))

    def _field(self, node: t.Field) -> Col:
        source = self.tables(self.entity)
        column = _read_column(node)
        if not node.hops:
            return source.c[column]
        aliases = [self.tables(hop.target).alias() for hop in node.hops]
        joined: sa.FromClause = aliases[0]
        for prev, hop, alias in zip(aliases, node.hops[1:], aliases[1:], strict=False):
            joined = sa.join(joined, alias, alias.c.id == prev.c[hop.field])
        query = (
            sa.select(aliases[-1].c[column])
            .select_from(joined)
            .where(aliases[0].c.id == source.c[node.hops[0].field])
            .correlate(source)
        )
        if self.hop_scope is not None:
            # A referenced record the caller may not read reads as empty.
            for hop, alias in zip(node.hops, aliases, strict=True):
                condition = self.hop_scope(hop.target, alias)
                if condition is not None:
                    query = query.where(condition)
        return query.scalar_subquery()

    def _stage_attr(
        self, node: t.StageAttr, stage: Col, values: tuple[tuple[str, Any], ...]
    ) -> Col:
        """A CASE over the stage names, built from the pipeline's metadata."""
        if not values:
            return bind(None, node.type)
        whens = [(stage == bind(name, DslType.TEXT), bind(v, node.type)) for name, v in values]
        return sa.case(*whens, else_=bind(None, node.type))

    def _arith(self, node: t.Arith) -> Col:
        a, b = self.value(node.left), self.value(node.right)
        match node.kind:
            # The result is typed as a plain number: SQLAlchemy would otherwise give it
            # an operand's scale (money: 2) and round selected values to it.
            case t.ArithKind.ADD:
                return sa.type_coerce(d.ExactNumber(a) + b, NUMERIC)
            case t.ArithKind.SUB:
                return sa.type_coerce(d.ExactNumber(a) - b, NUMERIC)
            case t.ArithKind.MUL:
                return sa.type_coerce(d.ExactNumber(a) * b, NUMERIC)
            case t.ArithKind.DIV:
                return sa.type_coerce(sa.cast(a, NUMERIC) / sa.func.nullif(b, 0), NUMERIC)
            case t.ArithKind.DATE_PLUS_DAYS:
                return d.DateAddDays(a, b)
            case t.ArithKind.DATETIME_PLUS_DAYS:
                return d.DatetimeAddDays(a, b)
            case t.ArithKind.DATE_DIFF:
                return d.DateDiff(a, b)
            case t.ArithKind.DATETIME_DIFF:
                return d.DatetimeDiff(a, b)

    # -- predicates ---------------------------------------------------------------

    def definite(self, node: t.Node) -> Col:
        """A boolean that is never NULL (empty counts as false)."""
        expr, nullable = self.predicate(node)
        return sa.func.coalesce(expr, sa.false(), type_=sa.Boolean()) if nullable else expr

    def predicate(self, node: t.Node) -> Pred:
        """``(expression, may_be_null)`` for a node in a boolean position."""
        k = self.constant(node)
        if k is not _UNSET:
            return (sa.true() if k else sa.false()), False
        match node:
            case t.Compare(op=op, left=a, right=b):
                left, right = self.value(a), self.value(b)
                if a.type is DslType.TEXT:
                    left = d.BinaryText(left)
                return _ORDER[op](left, right), True
            case t.Equal():
                return self._equal(node)
            case t.And(left=a, right=b):
                (pa, na), (pb, nb) = self.predicate(a), self.predicate(b)
                return sa.and_(pa, pb), na or nb
            case t.Or(left=a, right=b):
                (pa, na), (pb, nb) = self.predicate(a), self.predicate(b)
                return sa.or_(pa, pb), na or nb
            case t.Not(operand=o):
                return sa.not_(self.definite(o)), False
            case t.InValues():
                return self._in_values(node)
            case t.ListHas(container=lst, element=e, negated=neg):
                has = (
                    d.ListHas(self.value(lst), self.value(e))
                    if e.type is DslType.TEXT
                    else self._has_id(lst, e)
                )
                return (sa.not_(has) if neg else has), False
            case t.IsEmpty(operand=o, negated=neg):
                return self._is_empty(o, neg), False
            case t.TextMatch():
                return self._text_match(node), True
            case _:
                return self.value(node), True

    def _has_id(self, container: t.Node, element: t.Node) -> Col:
        """A ``many_to_many`` field holds the id: its link table has the pair (indexed);
        through references, its JSON copy of the ids has it."""
        if isinstance(container, t.Field) and not container.hops:
            source = self.tables(self.entity)
            links = self.tables(link_table_name(self.entity, container.column))
            return sa.exists().where(
                links.c.source_id == source.c.id,
                links.c.target_id == sa.type_coerce(self.value(element), sa.BigInteger()),
            )
        return d.ListHasNumber(self.value(container), self.value(element))

    def _equal(self, node: t.Equal) -> Pred:
        ka, kb = self.constant(node.left), self.constant(node.right)
        if ka is _UNSET and kb is not _UNSET:
            x, k = self.value(node.left), kb
        elif kb is _UNSET and ka is not _UNSET:
            x, k = self.value(node.right), ka
        else:
            a, b = self.value(node.left), self.value(node.right)
            if node.negated:
                return a.is_distinct_from(b), False
            return a.is_not_distinct_from(b), False
        if k is None:
            return (x.is_not(None) if node.negated else x.is_(None)), False
        typ = node.left.type if node.left.type is not DslType.NULL else node.right.type
        if node.negated:
            return x.is_distinct_from(bind(k, typ)), False
        return x == bind(k, typ), True

    def _in_values(self, node: t.InValues) -> Pred:
        consts = [self.constant(o) for o in node.options]
        if not node.options:
            return (sa.true() if node.negated else sa.false()), False
        if all(k is not _UNSET for k in consts):
            x = self.value(node.element)
            binds = [bind(k, o.type) for k, o in zip(consts, node.options, strict=True)]
            if node.negated:
                return sa.or_(x.not_in(binds), x.is_(None)), False
            return x.in_(binds), True
        found = sa.or_(
            *(
                self.definite(t.Equal(DslType.BOOLEAN, o.line, o.col, False, node.element, o))
                for o in node.options
            )
        )
        return (sa.not_(found) if node.negated else found), False

    def _is_empty(self, operand: t.Node, negated: bool) -> Col:
        x = self.value(operand)
        if operand.type is DslType.TEXT:
            empty = sa.or_(x.is_(None), x == "")
        elif operand.type is DslType.LIST:
            empty = sa.func.coalesce(d.ListLength(x), 0) == 0
        elif operand.type is DslType.JSON:
            empty = d.JsonIsNull(x)
        else:
            return x.is_not(None) if negated else x.is_(None)
        return sa.not_(empty) if negated else empty

    def _text_match(self, node: t.TextMatch) -> Col:
        k = self.constant(node.right)
        if k is None:
            return sa.false()
        if k is not _UNSET:
            folded = fold_lower(str(k))
            escaped = like_escape(folded)
            pattern: Col = sa.literal(
                {"contains": f"%{escaped}%", "starts_with": f"{escaped}%"}.get(
                    node.op, f"%{escaped}"
                ),
                sa.String(),
            )
            return d.like_folded(self.value(node.left), pattern, folded)
        text = d.Lower(self.value(node.left))
        part: Col = d.Lower(self.value(node.right))
        for ch in (_ESCAPE, "%", "_"):
            part = sa.func.replace(part, ch, _ESCAPE + ch, type_=sa.String())
        pct = sa.literal("%", sa.String())
        if node.op == "contains":
            pattern = pct.concat(part).concat(pct)
        elif node.op == "starts_with":
            pattern = part.concat(pct)
        else:
            pattern = pct.concat(part)
        return text.like(pattern, escape=_ESCAPE)
