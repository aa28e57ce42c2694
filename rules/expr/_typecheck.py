"""Type-check a syntax tree against an entity and turn it into the typed tree.

Every problem is collected (not just the first) and raised together as an
:class:`ExpressionError`; a node that fails gets the type ``any`` so one
mistake does not cause a cascade of follow-up errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from trellis.metadata.diagnostics import Diagnostic, did_you_mean
from trellis.metadata.model import (
    FIELD_TYPES,
    STANDARD_COLUMNS,
    AppModel,
    DslType,
    EntityDef,
    FieldDef,
    FieldType,
)
from trellis.rules.expr import codes
from trellis.rules.expr import nodes as n
from trellis.rules.expr import typed as t
from trellis.rules.expr._runtime import negate
from trellis.rules.expr._typecheck_calls import check_call
from trellis.rules.expr._typecheck_compare import compare, in_list, in_tuple, text_match
from trellis.rules.expr._typing_rules import (
    arith_kind,
    describe,
    fits,
    promote,
)
from trellis.rules.expr.errors import Locator

T = DslType
MAX_DEPTH = 200
_BIGINT = 2**63 - 1
_STAGE_ATTRS = {"probability": T.NUMBER, "won": T.BOOLEAN, "lost": T.BOOLEAN, "label": T.TEXT}
_STANDARD_FIELD_TYPE = {T.NUMBER: FieldType.INTEGER, T.DATETIME: FieldType.DATETIME}


class TypeChecker:
    """Checks one expression; collects diagnostics in ``errors``."""

    def __init__(
        self,
        entity: EntityDef,
        model: AppModel,
        locator: Locator,
        user: Mapping[str, str] | None = None,
    ) -> None:
        self.entity = entity
        self.model = model
        self.loc = locator
        #: Attributes of the calling user: ``user.<name>`` reads them as text (role
        #: conditions); None means ``user`` is an ordinary field name.
        self.user = user
        self.errors: list[Diagnostic] = []
        self.paths: dict[tuple[str, ...], None] = {}

    def error(
        self, code: str, message: str, line: int, col: int, suggestion: str | None = None
    ) -> t.Const:
        """Record a diagnostic and return a poisoned node of type ``any``."""
        self.errors.append(self.loc.diagnostic(code, message, line, col, suggestion=suggestion))
        return t.Const(T.ANY, line, col, None)

    def check_result(self, node: n.Expr, expected: DslType | None) -> t.Node:
        """Check a whole expression, and its result type against ``expected``."""
        result = self.check(node, 0)
        # ANY is what an earlier error leaves behind: do not pile a second error on it.
        if (
            expected is not None
            and result.type is not DslType.ANY
            and not fits(result.type, expected)
        ):
            self.error(
                codes.RESULT_TYPE,
                f"The expression gives {result.type}, but {expected} is expected here",
                node.line,
                node.col,
            )
        return result

    def check(self, node: n.Expr, depth: int) -> t.Node:
        """Check ``node`` and return its typed form."""
        if depth > MAX_DEPTH:
            return self.error(codes.TOO_DEEP, "The expression is nested too deeply", 1, 1)
        d = depth + 1
        match node:
            case n.Literal():
                return self._literal(node)
            case n.Path():
                return self._path(node)
            case n.Negate(operand=o):
                return self._negate(node, self.check(o, d))
            case n.Arith(left=a, right=b):
                return self._arith(node, self.check(a, d), self.check(b, d))
            case n.Compare(left=a, right=b):
                return compare(self, node, self.check(a, d), self.check(b, d))
            case n.Logical(left=a, right=b):
                return self._logical(node, self.check(a, d), self.check(b, d))
            case n.Not(operand=o):
                return self._not(node, self.check(o, d))
            case n.InTuple(element=e, options=opts):
                return in_tuple(self, node, self.check(e, d), [self.check(o, d) for o in opts])
            case n.InList(element=e, container=c):
                return in_list(self, node, self.check(e, d), self.check(c, d))
            case n.IsEmpty(operand=o):
                return t.IsEmpty(T.BOOLEAN, node.line, node.col, self.check(o, d), node.negated)
            case n.TextMatch(left=a, right=b):
                return text_match(self, node, self.check(a, d), self.check(b, d))
            case n.Call(args=args):
                return check_call(self, node, [self.check(a, d) for a in args])

    # -- leaves -----------------------------------------------------------------

    def _literal(self, node: n.Literal) -> t.Node:
        v = node.value
        if isinstance(v, bool):
            return t.Const(T.BOOLEAN, node.line, node.col, v)
        if isinstance(v, int) and abs(v) > _BIGINT:
            return self.error(
                codes.INVALID_LITERAL, f"The number {v} is too large", node.line, node.col
            )
        if v is None:
            return t.Const(T.NULL, node.line, node.col, None)
        return t.Const(T.TEXT if isinstance(v, str) else T.NUMBER, node.line, node.col, v)

    def _user_attribute(self, node: n.Path) -> t.Node:
        """``user.region``: the caller's attribute, as text (empty when the user has none)."""
        if len(node.segments) != 2:
            at = node.segments[2] if len(node.segments) > 2 else node.segments[0]
            return self.error(
                codes.NOT_A_REFERENCE,
                "Write user.<attribute> (e.g. user.region); attributes are text and "
                "nothing can be read through them",
                at.line,
                at.col,
            )
        assert self.user is not None
        return t.Const(T.TEXT, node.line, node.col, self.user.get(node.segments[1].text))

    def _path(self, node: n.Path) -> t.Node:
        if self.user is not None and node.segments[0].text == "user":
            return self._user_attribute(node)
        entity = self.entity
        hops: list[t.Hop] = []
        for i, seg in enumerate(node.segments):
            fd = entity.fields.get(seg.text)
            if fd is None and seg.text in entity.lines:
                return self._lines_field(entity, seg)
            if fd is None and seg.text not in STANDARD_COLUMNS:
                known = [*entity.fields, *STANDARD_COLUMNS]
                return self.error(
                    codes.UNKNOWN_FIELD,
                    f"Unknown field '{seg.text}' on entity '{entity.name}'",
                    seg.line,
                    seg.col,
                    did_you_mean(seg.text, known),
                )
            if i == len(node.segments) - 1:
                self.paths[node.names] = None
                if fd is None:
                    dsl = STANDARD_COLUMNS[seg.text][0]
                    return t.Field(
                        dsl,
                        node.line,
                        node.col,
                        node.names,
                        tuple(hops),
                        entity.name,
                        seg.text,
                        _STANDARD_FIELD_TYPE[dsl],
                    )
                spec = FIELD_TYPES.get(fd.type)
                if spec is None:
                    return self.error(
                        codes.TYPE_MISMATCH,
                        f"Field '{seg.text}' has type '{fd.type}', which expressions cannot use",
                        seg.line,
                        seg.col,
                    )
                return t.Field(
                    spec.dsl_type,
                    node.line,
                    node.col,
                    node.names,
                    tuple(hops),
                    entity.name,
                    seg.text,
                    fd.type,
                    fd.options,
                )
            if fd is not None and fd.type == FieldType.PIPELINE and i == len(node.segments) - 2:
                return self._stage_attr(node, tuple(hops), entity, fd, node.segments[i + 1])
            if fd is None or fd.type != FieldType.REFERENCE or fd.to is None:
                kind = "a standard column" if fd is None else f"a {fd.type} field"
                return self.error(
                    codes.NOT_A_REFERENCE,
                    f"'{seg.text}' is {kind}, not a reference, so "
                    f"'{node.segments[i + 1].text}' cannot be read through it",
                    node.segments[i + 1].line,
                    node.segments[i + 1].col,
                )
            if not self.model.has_entity(fd.to):
                return self.error(
                    codes.NOT_A_REFERENCE,
                    f"Reference '{seg.text}' points to unknown entity '{fd.to}'",
                    seg.line,
                    seg.col,
                )
            hops.append(t.Hop(seg.text, fd.to))
            entity = self.model.entity(fd.to)
        raise AssertionError("unreachable: a path has at least one segment")

    def _lines_field(self, entity: EntityDef, seg: n.Name) -> t.Node:
        """A ``lines`` field holds child records: expressions reach them through a rollup."""
        lines = entity.lines[seg.text]
        rollups = [
            f.name
            for f in entity.fields.values()
            if f.rollup is not None and f.rollup.entity == lines.entity
        ]
        return self.error(
            codes.UNKNOWN_FIELD,
            f"'{seg.text}' is a lines field of '{entity.name}': an expression reads its "
            f"lines through a rollup field, such as {{type: decimal, rollup: {{from: "
            f"{lines.entity}.{lines.parent_field}, agg: sum, field: total}}}}",
            seg.line,
            seg.col,
            rollups[0] if rollups else None,
        )

    def _stage_attr(
        self,
        node: n.Path,
        hops: tuple[t.Hop, ...],
        entity: EntityDef,
        fd: FieldDef,
        attr: n.Name,
    ) -> t.Node:
        """``stage.probability``: an attribute of the stage held by a pipeline field."""
        result = _STAGE_ATTRS.get(attr.text)
        if result is None:
            return self.error(
                codes.UNKNOWN_FIELD,
                f"A pipeline stage has no attribute '{attr.text}' "
                f"(it has {', '.join(_STAGE_ATTRS)})",
                attr.line,
                attr.col,
                did_you_mean(attr.text, list(_STAGE_ATTRS)),
            )
        pipeline = self.model.pipelines.get(fd.pipeline or "")
        if pipeline is None:
            return self.error(
                codes.NOT_A_REFERENCE,
                f"Field '{fd.name}' is bound to unknown pipeline '{fd.pipeline}'",
                attr.line,
                attr.col,
            )
        names = node.names[:-1]
        self.paths[names] = None
        stage_field = t.Field(
            T.TEXT, node.line, node.col, names, hops, entity.name, fd.name, fd.type, fd.options
        )
        values = tuple((s.name, getattr(s, attr.text)) for s in pipeline.stages)
        return t.StageAttr(result, node.line, node.col, stage_field, attr.text, values)

    # -- operators --------------------------------------------------------------

    def _negate(self, node: n.Negate, v: t.Node) -> t.Node:
        if v.type in (T.ANY, T.NULL):
            return v
        if v.type is not T.NUMBER:
            return self.error(
                codes.TYPE_MISMATCH,
                f"Unary minus needs a number, got {describe(node.operand, v.type)}",
                node.line,
                node.col,
            )
        if isinstance(v, t.Const):
            # A folded call can be an empty number (abs(null), hash_bucket("", 2)).
            return t.Const(T.NUMBER, node.line, node.col, negate(v.value))
        return t.Negate(T.NUMBER, node.line, node.col, v)

    def _arith(self, node: n.Arith, a: t.Node, b: t.Node) -> t.Node:
        if T.ANY in (a.type, b.type):
            return t.Const(T.ANY, node.line, node.col, None)
        rule = arith_kind(node.op, a.type, b.type)
        if rule is None:
            hint = "; join text with concat()" if T.TEXT in (a.type, b.type) else ""
            return self.error(
                codes.TYPE_MISMATCH,
                f"'{node.op}' cannot combine {describe(node.left, a.type)} and "
                f"{describe(node.right, b.type)}{hint}",
                node.op_line,
                node.op_col,
            )
        kind, result, swap = rule
        if kind is None:  # an empty operand: the result is empty
            return t.Const(result, node.line, node.col, None)
        if swap:
            a, b = b, a
        if node.op == "-" and kind in (t.ArithKind.DATE_PLUS_DAYS, t.ArithKind.DATETIME_PLUS_DAYS):
            b = self._negate(n.Negate(b.line, b.col, node.right), b)
        if kind is t.ArithKind.DATETIME_DIFF:
            a, b = promote(a), promote(b)
        return t.Arith(result, node.line, node.col, kind, a, b)

    def _boolean(self, v: t.Node, syntax: n.Expr, what: str, line: int, col: int) -> None:
        if v.type not in (T.BOOLEAN, T.NULL, T.ANY):
            self.error(
                codes.TYPE_MISMATCH,
                f"'{what}' needs true/false values, but {describe(syntax, v.type)} is not",
                line,
                col,
            )

    def _logical(self, node: n.Logical, a: t.Node, b: t.Node) -> t.Node:
        self._boolean(a, node.left, node.op, node.op_line, node.op_col)
        self._boolean(b, node.right, node.op, node.op_line, node.op_col)
        cls = t.And if node.op == "and" else t.Or
        return cls(T.BOOLEAN, node.line, node.col, a, b)

    def _not(self, node: n.Not, v: t.Node) -> t.Node:
        self._boolean(v, node.operand, "not", node.line, node.col)
        return t.Not(T.BOOLEAN, node.line, node.col, v)
