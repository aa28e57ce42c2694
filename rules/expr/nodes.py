"""The syntax tree of an expression: frozen dataclasses that keep 1-based positions.

The parser builds these from Lark's parse tree; the type checker turns them into
the typed tree of :mod:`trellis.rules.expr.typed`. Operator nodes also keep the
position of their operator (``op_line``/``op_col``) so errors can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LiteralValue = int | Decimal | str | bool | None


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every syntax node: where it starts in the expression."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A number, text, boolean or ``null``/``empty`` (value ``None``)."""

    value: LiteralValue


@dataclass(frozen=True, slots=True)
class Name(Node):
    """One segment of a field path."""

    text: str


@dataclass(frozen=True, slots=True)
class Path(Node):
    """A field, or a chain through references: ``account.industry``."""

    segments: tuple[Name, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The segment names, in order."""
        return tuple(s.text for s in self.segments)


@dataclass(frozen=True, slots=True)
class Negate(Node):
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Arith(Node):
    """``left op right`` with ``op`` one of ``+ - * /``."""

    op: str
    left: Expr
    right: Expr
    op_line: int
    op_col: int


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """``left op right`` with ``op`` one of ``== != < <= > >=``."""

    op: str
    left: Expr
    right: Expr
    op_line: int
    op_col: int


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """``left and right`` or ``left or right``."""

    op: str
    left: Expr
    right: Expr
    op_line: int
    op_col: int


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``not operand``."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class InTuple(Node):
    """``element [not] in (a, b, c)``."""

    element: Expr
    options: tuple[Expr, ...]
    negated: bool
    op_line: int
    op_col: int


@dataclass(frozen=True, slots=True)
class InList(Node):
    """``element [not] in container`` where the container is a list value (tags)."""

    element: Expr
    container: Expr
    negated: bool
    op_line: int
    op_col: int


@dataclass(frozen=True, slots=True)
class IsEmpty(Node):
    """``operand is [not] empty``."""

    operand: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class TextMatch(Node):
    """``left op right`` with ``op`` one of ``contains starts_with ends_with``."""

    op: str
    left: Expr
    right: Expr
    op_line: int
    op_col: int


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call: ``days_between(today(), close_date)``."""

    name: str
    args: tuple[Expr, ...]


Expr = (
    Literal
    | Path
    | Negate
    | Arith
    | Compare
    | Logical
    | Not
    | InTuple
    | InList
    | IsEmpty
    | TextMatch
    | Call
)


def children(node: Expr) -> tuple[Expr, ...]:
    """Return the direct sub-expressions of ``node``, left to right."""
    match node:
        case Literal() | Path():
            return ()
        case Negate(operand=o) | Not(operand=o) | IsEmpty(operand=o):
            return (o,)
        case Arith(left=a, right=b) | Compare(left=a, right=b) | Logical(left=a, right=b):
            return (a, b)
        case TextMatch(left=a, right=b):
            return (a, b)
        case InTuple(element=e, options=opts):
            return (e, *opts)
        case InList(element=e, container=c):
            return (e, c)
        case Call(args=args):
            return args
