"""Python semantics of the expression language, shared by closures and interpreter.

Every helper follows the empty-value rules: arithmetic with an empty operand is
empty, ordering with an empty side is false, division by zero is empty, text
matching is case-insensitive (Unicode simple case mapping, as in SQL:
``text_case``). Numbers stay ``int`` or ``Decimal`` (never float).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from trellis.metadata.model import DslType, FieldType
from trellis.metadata.model.rich_text import plain_text
from trellis.rules.expr.text_case import fold_lower
from trellis.rules.expr.typed import ArithKind, Field

Number = int | Decimal

_DAY_MICROS = Decimal(86_400_000_000)
_DAY_SECONDS = Decimal(86_400)
#: Characters removed by trim(); the SQL side removes the same ones.
TRIM_CHARS = " \t\n\r"


def round_half_up(value: Decimal, digits: int = 0) -> Decimal:
    """Round half away from zero, as PostgreSQL and SQLite do."""
    try:
        return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return value


def is_empty_text(v: Any) -> bool:
    """Empty text: ``None`` or ``""`` (whitespace-only text is not empty)."""
    return v is None or v == ""


def is_empty_list(v: Any) -> bool:
    """Empty list: ``None`` or ``[]``."""
    return v is None or len(v) == 0


def is_none(v: Any) -> bool:
    """Empty for types other than text and lists: only ``None``."""
    return v is None


def empty_check(typ: DslType) -> Callable[[Any], bool]:
    """The ``is empty`` test for values of type ``typ``."""
    if typ is DslType.TEXT:
        return is_empty_text
    if typ is DslType.LIST:
        return is_empty_list
    return is_none


_DECIMAL_TYPES = frozenset({FieldType.DECIMAL, FieldType.MONEY, FieldType.PERCENT})


def field_normalizer(field: Field) -> Callable[[Any], Any] | None:
    """How a stored value of ``field`` is normalised when read (None: as is).

    Decimal-like fields turn driver floats into Decimals; datetimes are put in
    UTC (naive ones are taken as UTC).
    """
    if field.field_type in _DECIMAL_TYPES:
        return to_decimal
    if field.type is DslType.DATETIME:
        return to_utc
    if field.field_type == FieldType.RICH_TEXT:
        return rich_plain_text
    return None


def rich_plain_text(v: Any) -> Any:
    """The plain text of a rich text value (its words, as search and SQL read them)."""
    return plain_text(v) if isinstance(v, str) else v


def to_decimal(v: Any) -> Any:
    """Turn a float coming from a database driver into a Decimal; keep others."""
    return Decimal(repr(v)) if v.__class__ is float else v


def to_utc(v: Any) -> Any:
    """A datetime in UTC (a naive one is taken as UTC); other values as they are.

    Aware values in another zone are converted, as SQL sees them: Python compares
    and subtracts two times of one zone by their wall clocks, which is wrong across
    a daylight-saving change, and a time in a DST gap never equals its UTC instant.
    """
    if v.__class__ is datetime:
        if v.tzinfo is None:
            return v.replace(tzinfo=UTC)
        if v.tzinfo is not UTC:
            return v.astimezone(UTC)
    return v


def to_datetime(v: date | None) -> datetime | None:
    """Midnight UTC of a date (a datetime is returned unchanged)."""
    if v is None or isinstance(v, datetime):
        return v
    return datetime(v.year, v.month, v.day, tzinfo=UTC)


def to_date(v: datetime | date | None) -> date | None:
    """The UTC calendar date of a datetime (a date is returned unchanged)."""
    if v is None:
        return None
    if isinstance(v, datetime):
        aware = v if v.tzinfo is not None else v.replace(tzinfo=UTC)
        return aware.astimezone(UTC).date()
    return v


def add(a: Any, b: Any) -> Any:
    """``a + b`` on numbers; empty if either is empty."""
    return None if a is None or b is None else a + b


def sub(a: Any, b: Any) -> Any:
    """``a - b`` on numbers; empty if either is empty."""
    return None if a is None or b is None else a - b


def mul(a: Any, b: Any) -> Any:
    """``a * b`` on numbers; empty if either is empty."""
    return None if a is None or b is None else a * b


def div(a: Any, b: Any) -> Decimal | None:
    """``a / b`` as a Decimal; empty if either is empty or ``b`` is zero."""
    if a is None or b is None or b == 0:
        return None
    return Decimal(a) / Decimal(b)


def date_plus_days(d: date | None, days: Number | None) -> date | None:
    """A date moved by whole days (a fractional count is floored)."""
    if d is None or days is None:
        return None
    try:
        return d + timedelta(days=math.floor(days))
    except OverflowError:
        return None


def datetime_plus_days(dt: datetime | None, days: Number | None) -> datetime | None:
    """A datetime moved by ``days`` (fractions allowed), rounded to whole seconds."""
    if dt is None or days is None:
        return None
    seconds = int(round_half_up(Decimal(days) * _DAY_SECONDS))
    try:
        return dt + timedelta(seconds=seconds)
    except OverflowError:
        return None


def date_diff(a: date | None, b: date | None) -> int | None:
    """``a - b`` in days."""
    if a is None or b is None:
        return None
    return (a - b).days


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def datetime_diff(a: datetime | None, b: datetime | None) -> Decimal | None:
    """``a - b`` in days, with the fraction."""
    if a is None or b is None:
        return None
    return Decimal(_micros(a - b)) / _DAY_MICROS


def days_between(a: date | None, b: date | None) -> int | None:
    """``b - a`` in whole days: calendar days for two dates, else 24-hour periods.

    With a datetime on either side, a date counts as midnight UTC and the
    difference is truncated toward zero.
    """
    if a is None or b is None:
        return None
    if not isinstance(a, datetime) and not isinstance(b, datetime):
        return (b - a).days
    micros = _micros(_as_datetime(b) - _as_datetime(a))
    whole = abs(micros) // 86_400_000_000
    return whole if micros >= 0 else -whole


def _as_datetime(v: date) -> datetime:
    if isinstance(v, datetime):
        return v
    return datetime(v.year, v.month, v.day, tzinfo=UTC)


ARITH: dict[ArithKind, Callable[[Any, Any], Any]] = {
    ArithKind.ADD: add,
    ArithKind.SUB: sub,
    ArithKind.MUL: mul,
    ArithKind.DIV: div,
    ArithKind.DATE_PLUS_DAYS: date_plus_days,
    ArithKind.DATETIME_PLUS_DAYS: datetime_plus_days,
    ArithKind.DATE_DIFF: date_diff,
    ArithKind.DATETIME_DIFF: datetime_diff,
}


def negate(v: Any) -> Any:
    """Unary minus; empty stays empty."""
    return None if v is None else -v


def contains(text: str | None, part: str | None) -> bool:
    """Case-insensitive substring test; false if either side is empty."""
    return text is not None and part is not None and fold_lower(part) in fold_lower(text)


def starts_with(text: str | None, part: str | None) -> bool:
    """Case-insensitive prefix test; false if either side is empty."""
    return text is not None and part is not None and fold_lower(text).startswith(fold_lower(part))


def ends_with(text: str | None, part: str | None) -> bool:
    """Case-insensitive suffix test; false if either side is empty."""
    return text is not None and part is not None and fold_lower(text).endswith(fold_lower(part))


TEXT_MATCH: dict[str, Callable[[str | None, str | None], bool]] = {
    "contains": contains,
    "starts_with": starts_with,
    "ends_with": ends_with,
}


def list_has(items: list[Any] | None, value: Any) -> bool:
    """Case-insensitive membership of a text in a list, or of a record id in a list of
    ids (``many_to_many``); false if either is empty."""
    if not items or value is None:
        return False
    if not isinstance(value, str):
        return any(not isinstance(i, (str, bool)) and i == value for i in items)
    needle = fold_lower(value)
    return any(isinstance(item, str) and fold_lower(item) == needle for item in items)


def ordered(op: str) -> Callable[[Any, Any], bool]:
    """Return the null-safe ordering function for ``op`` (false with an empty side)."""
    if op == "<":
        return lambda a, b: a is not None and b is not None and a < b
    if op == "<=":
        return lambda a, b: a is not None and b is not None and a <= b
    if op == ">":
        return lambda a, b: a is not None and b is not None and a > b
    return lambda a, b: a is not None and b is not None and a >= b
