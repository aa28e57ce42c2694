"""Type-check function calls against the function library."""

from __future__ import annotations

from typing import Protocol

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model import AppModel, DslType, EntityDef
from trellis.rules.expr import codes
from trellis.rules.expr import nodes as n
from trellis.rules.expr import typed as t
from trellis.rules.expr._typecheck_special import check_hash_bucket, check_if
from trellis.rules.expr._typing_rules import describe, unify
from trellis.rules.expr.functions import FUNCTIONS, parse_date, parse_datetime

T = DslType

#: Functions that read the stored record of a save rather than a value: name -> signature.
PREVIOUS_FUNCTIONS: dict[str, str] = {"old": "old(field)", "changed": "changed(field)"}
#: Aggregates of child records: rollup fields compute them, not expressions.
AGGREGATES = frozenset({"sum", "count", "avg"})


class ErrorSink(Protocol):
    """Where call errors go (the type checker), with the model it checks against."""

    model: AppModel
    entity: EntityDef

    def error(
        self, code: str, message: str, line: int, col: int, suggestion: str | None = None
    ) -> t.Const:
        """Record a diagnostic and return a poisoned node."""
        ...


def check_call(checker: ErrorSink, node: n.Call, args: list[t.Node]) -> t.Node:
    """Check a function call: name, arity, argument types, literal arguments."""
    if node.name in PREVIOUS_FUNCTIONS:
        return _previous_call(checker, node, args)
    spec = FUNCTIONS.get(node.name)
    if spec is None and node.name in AGGREGATES:
        rollups = [
            f.name
            for f in checker.entity.fields.values()
            if f.rollup is not None and f.rollup.agg == node.name
        ]
        return checker.error(
            codes.UNKNOWN_FUNCTION,
            f"{node.name}() over child records is not an expression function: a field with "
            f"rollup: {{from: <child entity>.<reference>, agg: {node.name}, field: <field>}} "
            "computes it and is kept correct when the children change",
            node.line,
            node.col,
            rollups[0] if rollups else None,
        )
    if spec is None:
        return checker.error(
            codes.UNKNOWN_FUNCTION,
            f"Unknown function '{node.name}'",
            node.line,
            node.col,
            did_you_mean(node.name, [*FUNCTIONS, *PREVIOUS_FUNCTIONS]),
        )
    top = spec.max_args
    if len(args) < spec.min_args or (top is not None and len(args) > top):
        if top is None:
            want = f"at least {spec.min_args}"
        elif top == spec.min_args:
            want = str(top)
        else:
            want = f"{spec.min_args} to {top}"
        s = "" if want == "1" else "s"
        return checker.error(
            codes.ARGUMENT_COUNT,
            f"{node.name}() takes {want} argument{s} ({spec.signature}), got {len(args)}",
            node.line,
            node.col,
        )
    ok = True
    for i, (syntax, arg) in enumerate(zip(node.args, args, strict=True)):
        allowed = spec.param_types(i)
        if arg.type in (T.ANY, T.NULL) or arg.type in allowed:
            continue
        ok = False
        names = " or ".join(sorted(str(a) for a in allowed))
        checker.error(
            codes.ARGUMENT_TYPE,
            f"Argument {i + 1} of {node.name}() must be {names}, got "
            f"{describe(syntax, arg.type)} ({spec.signature})",
            arg.line,
            arg.col,
        )
    if not ok or any(a.type is T.ANY for a in args):
        return t.Const(T.ANY, node.line, node.col, None)
    result = spec.result
    if spec.same_type:
        result = unify([a.type for a in args])
        if result is None:
            return checker.error(
                codes.ARGUMENT_TYPE,
                f"The arguments of {node.name}() must all have the same type, "
                f"got {', '.join(str(a.type) for a in args)}",
                node.line,
                node.col,
            )
    if spec.context is not None:
        return t.ContextValue(spec.result or T.ANY, node.line, node.col, spec.context)
    return _special_call(checker, node, args, result or T.ANY)


def _previous_call(checker: ErrorSink, node: n.Call, args: list[t.Node]) -> t.Node:
    """``old(field)`` / ``changed(field)``: one field of the record itself."""
    signature = PREVIOUS_FUNCTIONS[node.name]
    if len(args) != 1:
        return checker.error(
            codes.ARGUMENT_COUNT,
            f"{node.name}() takes 1 argument ({signature}), got {len(args)}",
            node.line,
            node.col,
        )
    arg = args[0]
    if arg.type is T.ANY:
        return t.Const(T.ANY, node.line, node.col, None)
    if not isinstance(arg, t.Field) or arg.hops:
        return checker.error(
            codes.ARGUMENT_TYPE,
            f"The argument of {node.name}() must be a field of this record, "
            f"such as {node.name}(amount)",
            arg.line,
            arg.col,
        )
    changed = node.name == "changed"
    result = T.BOOLEAN if changed else arg.type
    return t.Previous(result, node.line, node.col, arg, changed)


def _calendar_arg(checker: ErrorSink, lit: t.Node) -> t.Node:
    """The calendar argument: a literal name of ``calendars/<name>.yaml``, replaced by
    the calendar itself (a poisoned node after an error)."""
    if not (isinstance(lit, t.Const) and isinstance(lit.value, str)):
        return checker.error(
            codes.INVALID_LITERAL,
            'business_hours_between() needs the calendar as a literal text, such as "support"',
            lit.line,
            lit.col,
        )
    calendar = checker.model.calendars.get(lit.value)
    if calendar is None:
        return checker.error(
            codes.UNKNOWN_CALENDAR,
            f"Unknown calendar '{lit.value}' (no calendars/{lit.value}.yaml)",
            lit.line,
            lit.col,
            did_you_mean(lit.value, checker.model.calendars),
        )
    return t.Const(T.TEXT, lit.line, lit.col, calendar)


def _special_call(checker: ErrorSink, node: n.Call, args: list[t.Node], result: DslType) -> t.Node:
    if node.name == "if":
        return _fold(check_if(checker, node, args))
    if node.name == "hash_bucket":
        error = check_hash_bucket(checker, node, args)
        if error is not None:
            return error
    if node.name in ("date", "datetime") and args[0].type is T.TEXT:
        lit = args[0]
        if not (isinstance(lit, t.Const) and isinstance(lit.value, str)):
            return checker.error(
                codes.INVALID_LITERAL,
                f"{node.name}() needs a literal text such as "
                f"{'2026-01-31' if node.name == 'date' else '2026-01-31T10:00:00Z'!r}",
                lit.line,
                lit.col,
            )
        try:
            value = (parse_date if node.name == "date" else parse_datetime)(lit.value)
        except ValueError:
            shape = "YYYY-MM-DD" if node.name == "date" else "YYYY-MM-DDTHH:MM:SSZ"
            return checker.error(
                codes.INVALID_LITERAL,
                f"'{lit.value}' is not a valid {node.name} (use {shape})",
                lit.line,
                lit.col,
            )
        return t.Const(result, node.line, node.col, value)
    if node.name == "round" and len(args) == 2:
        digits = args[1]
        if not (
            isinstance(digits, t.Const)
            and isinstance(digits.value, int)
            and -20 <= digits.value <= 20
        ):
            return checker.error(
                codes.INVALID_LITERAL,
                "round() digits must be a whole number from -20 to 20",
                digits.line,
                digits.col,
            )
    if node.name == "business_hours_between":
        found = _calendar_arg(checker, args[2])
        if isinstance(found, t.Const) and found.type is T.ANY:
            return found
        args = [args[0], args[1], found]
    return _fold(t.Call(result, node.line, node.col, node.name, tuple(args)))


def _fold(call: t.Node) -> t.Node:
    """A pure function of literals (days(3), hours(4)) is computed once, here."""
    if not isinstance(call, t.Call):
        return call
    impl = FUNCTIONS[call.name].impl
    if impl is not None and all(isinstance(a, t.Const) for a in call.args):
        value = impl(*[a.value for a in call.args if isinstance(a, t.Const)])
        return t.Const(call.type, call.line, call.col, value)
    return call
