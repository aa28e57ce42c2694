"""The typed tree: a checked expression, ready for the closure and SQL compilers.

The type checker builds it from the syntax tree. Every node carries its result
type and position; fields are resolved against the metadata, date/datetime
mixes are made explicit (:class:`ToDatetime`) and operators carry the exact
operation they mean (:class:`ArithKind`), so the compilers never guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from trellis.metadata.model import DslType, FieldType


class ArithKind(Enum):
    """What an arithmetic operator means once its operand types are known."""

    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    DATE_PLUS_DAYS = "date + days"
    DATETIME_PLUS_DAYS = "datetime + days"
    DATE_DIFF = "date - date"
    DATETIME_DIFF = "datetime - datetime"


class ContextKind(Enum):
    """Values that come from the evaluation context, not the record."""

    NOW = "now"
    TODAY = "today"
    USER = "current_user"


@dataclass(frozen=True, slots=True)
class Typed:
    """Base of every typed node."""

    type: DslType
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Const(Typed):
    """A literal value known at compile time (``None`` is empty)."""

    value: Any


@dataclass(frozen=True, slots=True)
class ContextValue(Typed):
    """``now()``, ``today()`` or ``current_user()``."""

    kind: ContextKind


@dataclass(frozen=True, slots=True)
class Hop:
    """One step through a reference: field ``field`` points at entity ``target``."""

    field: str
    target: str


@dataclass(frozen=True, slots=True)
class Field(Typed):
    """A field of the record, possibly reached through references.

    ``entity`` is the entity the column belongs to (the last hop's target, or
    the expression's own entity when there are no hops).
    """

    path: tuple[str, ...]
    hops: tuple[Hop, ...]
    entity: str
    column: str
    field_type: FieldType
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Negate(Typed):
    """Unary minus on a number."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Arith(Typed):
    """Arithmetic; ``kind`` says which (number, date or datetime) operation."""

    kind: ArithKind
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Typed):
    """Ordering ``< <= > >=`` of two values of the same type; false if one is empty."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Equal(Typed):
    """Null-safe ``==`` (``negated``: ``!=``)."""

    negated: bool
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class And(Typed):
    """Logical and; empty operands count as false."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Or(Typed):
    """Logical or; empty operands count as false."""

    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not(Typed):
    """Logical not; not of empty is true."""

    operand: Node


@dataclass(frozen=True, slots=True)
class InValues(Typed):
    """``element [not] in (a, b, c)``: null-safe equality with any option."""

    element: Node
    options: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class ListHas(Typed):
    """Case-insensitive membership of a text in a list (``"vip" in tags``)."""

    container: Node
    element: Node
    negated: bool


@dataclass(frozen=True, slots=True)
class IsEmpty(Typed):
    """``is [not] empty``: null, and also ``""`` for text and ``[]`` for lists."""

    operand: Node
    negated: bool


@dataclass(frozen=True, slots=True)
class TextMatch(Typed):
    """Case-insensitive ``contains``, ``starts_with`` or ``ends_with`` on text."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call(Typed):
    """A call of a library function (see :mod:`trellis.rules.expr.functions`)."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ToDatetime(Typed):
    """A date used where a datetime is needed: midnight UTC of that day."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Previous(Typed):
    """``old(field)``: the stored value; ``changed(field)``: whether it differs from it.

    Both read ``EvalContext.old``. Without a stored record (a create) ``old`` is
    empty and ``changed`` is true when the field is set.
    """

    field: Field
    changed: bool


@dataclass(frozen=True, slots=True)
class StageAttr(Typed):
    """``stage.probability`` (``won``, ``lost``, ``label``): an attribute of the stage
    a ``pipeline`` field holds, looked up in the pipeline's metadata.

    ``values`` maps each stage name to the attribute's value; an empty field or a
    name that is not a stage reads as empty.
    """

    field: Field
    attr: str
    values: tuple[tuple[str, Any], ...]


Node = (
    Const
    | ContextValue
    | Field
    | Negate
    | Arith
    | Compare
    | Equal
    | And
    | Or
    | Not
    | InValues
    | ListHas
    | IsEmpty
    | TextMatch
    | Call
    | ToDatetime
    | Previous
    | StageAttr
)

#: Node classes whose value is a proper boolean (never empty).
BOOLEAN_OPERATORS: tuple[type[Typed], ...] = (
    Compare,
    Equal,
    And,
    Or,
    Not,
    InValues,
    ListHas,
    IsEmpty,
    TextMatch,
)


def uses_previous(node: Node) -> bool:
    """Whether ``node`` calls ``old()`` or ``changed()`` anywhere."""
    if isinstance(node, Previous):
        return True
    return any(uses_previous(child) for child in operands(node))


#: Functions computed in Python only: a filter or query using one is refused.
PYTHON_ONLY_FUNCTIONS = frozenset(
    {"business_hours_between", "two_proportion_z", "two_proportion_p"}
)


def python_only_call(node: Node) -> Call | None:
    """The first call of a function without SQL form in ``node``, if any."""
    if isinstance(node, Call) and node.name in PYTHON_ONLY_FUNCTIONS:
        return node
    for child in operands(node):
        found = python_only_call(child)
        if found is not None:
            return found
    return None


def operands(node: Node) -> tuple[Node, ...]:
    """Return the direct sub-nodes of ``node``, left to right."""
    match node:
        case Const() | ContextValue() | Field():
            return ()
        case Negate(operand=o) | Not(operand=o) | IsEmpty(operand=o) | ToDatetime(operand=o):
            return (o,)
        case Arith(left=a, right=b) | Compare(left=a, right=b) | Equal(left=a, right=b):
            return (a, b)
        case And(left=a, right=b) | Or(left=a, right=b) | TextMatch(left=a, right=b):
            return (a, b)
        case InValues(element=e, options=opts):
            return (e, *opts)
        case ListHas(container=c, element=e):
            return (c, e)
        case Call(args=args):
            return args
        case Previous(field=f) | StageAttr(field=f):
            return (f,)


def reads_record(node: Node) -> bool:
    """Whether ``node`` reads any field of the record (else it is a constant)."""
    if isinstance(node, Field):
        return True
    return any(reads_record(child) for child in operands(node))
