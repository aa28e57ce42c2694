"""Parse expression text into the syntax tree, with friendly syntax errors.

Syntax errors are labelled with ``UnexpectedInput.match_examples`` (for token
errors) or by the offending character (for lexer errors), placed at a 1-based
line and column, and carry a caret excerpt. Their code is ``RL001``.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, Tree, UnexpectedInput, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError
from lark.tree import Meta

from trellis.metadata.diagnostics import Diagnostic, caret_excerpt
from trellis.metadata.model import SourceSpan
from trellis.rules.expr import codes
from trellis.rules.expr import nodes as n
from trellis.rules.expr.errors import ExpressionError, Locator

UNCLOSED = "Unclosed parenthesis"
EXTRA_CLOSE = "Unexpected closing parenthesis"
USE_DOUBLE_EQ = "Use == for equality, not ="
MISSING_OPERAND = "Missing operand"
UNTERMINATED = "Unterminated string"
MISSING_OPERATOR = "Missing operator between two values"
MISSING_COMMA = "Missing comma between arguments"
CHAINED = "Comparisons cannot be chained; combine them with 'and'"
USE_WORDS = "Use the words and, or, not instead of &&, ||, !"
EMPTY_EXPRESSION = "Empty expression"
IS_NEEDS_EMPTY = "Expected 'empty' or 'not empty' after 'is'"
EMPTY_LIST = "Empty list: put at least one value between the parentheses"
MISSING_NAME = "Missing field name after '.'"

#: Labels for token errors, tried in order by ``match_examples``.
EXAMPLES: dict[str, list[str]] = {
    UNCLOSED: ["(amount > 1", "len(name", "f(a, b", "x in (1, 2", "((a)", "f(", "x in ("],
    EXTRA_CLOSE: ["a > 1)", "f(a))", "(a))", "a)"],
    CHAINED: ["a < b < c", "a == b == c", "a < b == c", "a == 1 != 2"],
    IS_NEEDS_EMPTY: ["x is 5", "x is not 5", "x is a", "x is not a"],
    EMPTY_LIST: ["x in ()", "x not in ()"],
    MISSING_NAME: ["a.", "a.b.", "a.1", "a.(b)"],
    MISSING_COMMA: ["f(a b)", "x in (1 2)", "f(a, b c)", "x in (1, 2 3)"],
    MISSING_OPERAND: [
        "amount >",
        "amount > and b",
        "1 +",
        "1 *",
        "a and",
        "a or",
        "not",
        "-",
        "x in",
        "x not in",
        "x not",
        "x is",
        "x is not",
        "a contains",
        "(",
        "f(a,",
        "f(a,)",
        "f(,)",
        "x in (1,)",
        "a and or b",
        "a > > 1",
        "* 2",
        "and a",
        "== 1",
        "a + * 2",
    ],
    MISSING_OPERATOR: [
        "a b",
        "a + b c",
        "a == 1 b",
        "a and b c",
        "not a b",
        "1 2",
        'a "x"',
        "f(x) y",
        "a.b c",
        "1 a",
        "(a) b",
        "a not b",
    ],
}

#: Labels for characters the lexer cannot start a token with.
_CHAR_LABELS: dict[str, str] = {
    "=": USE_DOUBLE_EQ,
    '"': UNTERMINATED,
    "'": UNTERMINATED,
    "&": USE_WORDS,
    "|": USE_WORDS,
    "!": USE_WORDS,
}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@cache
def _lark() -> Lark:
    grammar = files("trellis.rules.expr").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True)


def _decode_string(token: str) -> str:
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


#: Longest number literal: far past any column's range, well inside Python's limit.
MAX_NUMBER_DIGITS = 100


class _LongNumberError(Exception):
    """A number literal with more than :data:`MAX_NUMBER_DIGITS` digits."""

    def __init__(self, token: Token) -> None:
        super().__init__(str(token))
        self.line, self.col = _pos(token)


def _check_digits(token: Token) -> None:
    if sum(ch.isdigit() for ch in str(token)) > MAX_NUMBER_DIGITS:
        raise _LongNumberError(token)


def _pos(token: Token) -> tuple[int, int]:
    return token.line or 1, token.column or 1


def _exprs(children: list[Any]) -> list[n.Expr]:
    return [c for c in children if c is not None and not isinstance(c, Token)]


@v_args(meta=True)
class _ToAst(Transformer[Token, n.Expr]):
    """Lark parse tree -> syntax tree (``nodes``)."""

    def int_lit(self, meta: Meta, c: list[Token]) -> n.Literal:
        _check_digits(c[0])
        return n.Literal(meta.line, meta.column, int(c[0]))

    def decimal_lit(self, meta: Meta, c: list[Token]) -> n.Literal:
        _check_digits(c[0])
        return n.Literal(meta.line, meta.column, Decimal(str(c[0])))

    def string_lit(self, meta: Meta, c: list[Token]) -> n.Literal:
        return n.Literal(meta.line, meta.column, _decode_string(str(c[0])))

    def bool_lit(self, meta: Meta, c: list[Token]) -> n.Literal:
        return n.Literal(meta.line, meta.column, c[0].type == "TRUE")

    def null_lit(self, meta: Meta, c: list[Token]) -> n.Literal:
        return n.Literal(meta.line, meta.column, None)

    def paren(self, meta: Meta, c: list[Any]) -> n.Expr:
        return _exprs(c)[0]

    def path(self, meta: Meta, c: list[Token]) -> n.Path:
        names = tuple(n.Name(*_pos(t), str(t)) for t in c)
        return n.Path(meta.line, meta.column, names)

    def call(self, meta: Meta, c: list[Any]) -> n.Call:
        return n.Call(meta.line, meta.column, str(c[0]), tuple(_exprs(c[1:])))

    def tuple(self, meta: Meta, c: list[Any]) -> tuple[n.Expr, ...]:
        return tuple(_exprs(c))

    def neg(self, meta: Meta, c: list[Any]) -> n.Negate:
        return n.Negate(meta.line, meta.column, c[1])

    def not_op(self, meta: Meta, c: list[Any]) -> n.Not:
        return n.Not(meta.line, meta.column, c[1])

    def arith(self, meta: Meta, c: list[Any]) -> n.Arith:
        left, op, right = c
        return n.Arith(meta.line, meta.column, str(op), left, right, *_pos(op))

    def compare(self, meta: Meta, c: list[Any]) -> n.Compare:
        left, op, right = c
        return n.Compare(meta.line, meta.column, str(op), left, right, *_pos(op))

    def logical(self, meta: Meta, c: list[Any]) -> n.Logical:
        left, op, right = c
        return n.Logical(meta.line, meta.column, str(op), left, right, *_pos(op))

    def text_match(self, meta: Meta, c: list[Any]) -> n.TextMatch:
        left, op, right = c
        return n.TextMatch(meta.line, meta.column, str(op), left, right, *_pos(op))

    def in_tuple(self, meta: Meta, c: list[Any]) -> n.InTuple:
        op: Token = c[1]
        negated = op.type == "NOT"
        options: tuple[n.Expr, ...] = c[-1]
        return n.InTuple(meta.line, meta.column, c[0], options, negated, *_pos(op))

    def in_list(self, meta: Meta, c: list[Any]) -> n.InList:
        op: Token = c[1]
        negated = op.type == "NOT"
        return n.InList(meta.line, meta.column, c[0], c[-1], negated, *_pos(op))

    def is_empty(self, meta: Meta, c: list[Any]) -> n.IsEmpty:
        negated = any(isinstance(t, Token) and t.type == "NOT" for t in c)
        return n.IsEmpty(meta.line, meta.column, c[0], negated)


def _end_position(source: str) -> tuple[int, int]:
    text = source.rstrip()
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _unclosed_paren(source: str) -> tuple[int, int] | None:
    stack: list[tuple[int, int]] = []
    try:
        for tok in _lark().lex(source):
            if tok.type == "LPAR":
                stack.append(_pos(tok))
            elif tok.type == "RPAR" and stack:
                stack.pop()
    except UnexpectedInput:
        return None
    return stack[-1] if stack else None


def _match_label(err: UnexpectedInput) -> str | None:
    """``match_examples`` (same state and acceptable tokens), without Lark's logging bug."""
    fallback: str | None = None
    for label, examples in EXAMPLES.items():
        for example in examples:
            try:
                _lark().parse(example)
            except UnexpectedInput as other:
                if other.state != err.state or getattr(other, "accepts", None) != getattr(
                    err, "accepts", None
                ):
                    continue
                if getattr(other, "token", None) == getattr(err, "token", None):
                    return label
                fallback = fallback or label
    return fallback


def _syntax_diagnostic(err: UnexpectedInput, source: str, loc: Locator) -> Diagnostic:
    parser = _lark()
    label: str | None
    if isinstance(err, UnexpectedCharacters):
        label = _CHAR_LABELS.get(err.char)
        if label is None:
            label = f"Unexpected character {err.char!r}"
        return loc.diagnostic(
            codes.SYNTAX, label, err.line, err.column, context=err.get_context(source).rstrip("\n")
        )
    try:
        label = err.match_examples(parser.parse, EXAMPLES, use_accepts=True)
    except TypeError:
        # Lark 1.3 formats a debug message with "%d" % ParserState when an example
        # ends in the same state with other acceptable tokens: match them ourselves.
        label = _match_label(err)
    at_end = isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    )
    if at_end:
        line, col = _end_position(source)
        if label == UNCLOSED:
            line, col = _unclosed_paren(source) or (line, col)
        context = caret_excerpt(source, line, col)
        found = "end of the expression"
    else:
        line, col = err.line, err.column
        context = err.get_context(source).rstrip("\n")
        found = repr(str(err.token)) if isinstance(err, UnexpectedToken) else "this"
    message = label if label is not None else f"Syntax error: unexpected {found}"
    return loc.diagnostic(codes.SYNTAX, message, line, col, context=context)


def parse_expression(source: str, *, span: SourceSpan | None = None) -> n.Expr:
    """Parse ``source`` into a syntax tree.

    Args:
        source: The expression text.
        span: Where the text starts in its file, to place diagnostics there.

    Raises:
        ExpressionError: With one ``RL001`` diagnostic if the text is not valid syntax,
            ``RL011`` for a number literal of more than ``MAX_NUMBER_DIGITS`` digits,
            ``RL012`` when it nests too deeply.
    """
    loc = Locator(source, span)
    if not source.strip():
        raise ExpressionError([loc.diagnostic(codes.SYNTAX, EMPTY_EXPRESSION, 1, 1)])
    try:
        tree: Tree[Token] = _lark().parse(source)
    except UnexpectedInput as err:
        raise ExpressionError([_syntax_diagnostic(err, source, loc)]) from None
    except RecursionError:
        raise ExpressionError(
            [loc.diagnostic(codes.TOO_DEEP, "The expression is nested too deeply", 1, 1)]
        ) from None
    try:
        return _ToAst().transform(tree)
    except (RecursionError, VisitError) as err:
        orig = err.orig_exc if isinstance(err, VisitError) else err
        if isinstance(orig, _LongNumberError):
            message = f"A number has at most {MAX_NUMBER_DIGITS} digits"
            diagnostic = loc.diagnostic(codes.INVALID_LITERAL, message, orig.line, orig.col)
            raise ExpressionError([diagnostic]) from None
        if not isinstance(orig, RecursionError):
            raise
        raise ExpressionError(
            [loc.diagnostic(codes.TOO_DEEP, "The expression is nested too deeply", 1, 1)]
        ) from None


def expression_lark() -> Lark:
    """The shared LALR parser of the expression grammar (built once)."""
    return _lark()
