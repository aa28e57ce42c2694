"""The function library: signatures for the type checker and Python implementations.

SQL versions live in :mod:`trellis.rules.expr._sql_functions`. Every
implementation is empty-safe: an empty argument gives an empty result unless
the function says otherwise (``coalesce``, ``concat``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from trellis.metadata.model import DslType
from trellis.metadata.model.calendars import CalendarDef
from trellis.rules.expr import _runtime as rt
from trellis.rules.expr.hashing import hash_bucket
from trellis.rules.expr.text_case import fold_lower, fold_upper
from trellis.rules.expr.typed import ContextKind

T = DslType
_NUM = frozenset({T.NUMBER})
_TEXT = frozenset({T.TEXT})
_BOOL = frozenset({T.BOOLEAN})
_WHEN = frozenset({T.DATE, T.DATETIME})
_SCALAR = frozenset({T.NUMBER, T.TEXT, T.BOOLEAN, T.DATE, T.DATETIME, T.REFERENCE})
_ORDERED = frozenset({T.NUMBER, T.DATE, T.DATETIME})
#: What ``if()`` may give: any single value, true/false included.
_BRANCH = _SCALAR | {T.BOOLEAN}
#: What ``hash_bucket()`` hashes: text, a record id, a whole-number field.
_HASHABLE = frozenset({T.TEXT, T.REFERENCE, T.NUMBER})


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What a function accepts and returns.

    ``params`` are the required arguments' allowed types, ``optional`` the
    optional ones, ``rest`` the type of any further arguments (variadic).
    With ``same_type`` every argument must have one common type, which is also
    the result type when ``result`` is None.
    """

    name: str
    signature: str
    params: tuple[frozenset[DslType], ...]
    result: DslType | None
    impl: Callable[..., Any] | None = None
    optional: tuple[frozenset[DslType], ...] = ()
    rest: frozenset[DslType] | None = None
    same_type: bool = False
    context: ContextKind | None = None

    @property
    def min_args(self) -> int:
        """The fewest arguments accepted."""
        return len(self.params)

    @property
    def max_args(self) -> int | None:
        """The most arguments accepted (None: no limit)."""
        return None if self.rest is not None else len(self.params) + len(self.optional)

    def param_types(self, index: int) -> frozenset[DslType]:
        """Allowed types of argument ``index`` (0-based)."""
        fixed = self.params + self.optional
        if index < len(fixed):
            return fixed[index]
        return self.rest or frozenset()


def _unary(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else fn(v)


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if arg is not None and arg != "":
            return arg
    return None


def _round(value: Any, digits: Any = 0) -> Decimal | None:
    if value is None or digits is None:
        return None
    return rt.round_half_up(Decimal(value), int(digits))


def _least(a: Any, b: Any) -> Any:
    return None if a is None or b is None else (a if a <= b else b)


def _greatest(a: Any, b: Any) -> Any:
    return None if a is None or b is None else (a if a >= b else b)


def _if(condition: Any, then: Any, otherwise: Any) -> Any:
    """``if(c, a, b)``: ``a`` when ``c`` is true; ``b`` when it is false or empty."""
    return then if condition else otherwise


def _divide(a: Any, b: Any, default: Any = None) -> Any:
    """``divide(a, b[, default])``: ``a / b``, or ``default`` when ``b`` is empty or 0."""
    if b is None or b == 0:
        return default
    return rt.div(a, b)


def _z_parts(x1: Any, n1: Any, x2: Any, n2: Any) -> Decimal | None:
    """The pooled two-proportion z statistic of ``x1/n1`` against ``x2/n2``, or None."""
    if any(v is None for v in (x1, n1, x2, n2)):
        return None
    a, m, b, n = (Decimal(v) for v in (x1, n1, x2, n2))
    if m <= 0 or n <= 0 or not (0 <= a <= m and 0 <= b <= n):
        return None
    pooled = (a + b) / (m + n)
    variance = pooled * (1 - pooled) * (1 / m + 1 / n)
    if variance <= 0:
        return None
    return (a / m - b / n) / variance.sqrt()


def _two_proportion_z(x1: Any, n1: Any, x2: Any, n2: Any) -> Decimal | None:
    """``two_proportion_z(x1, n1, x2, n2)``: z of rate A minus rate B, 6 decimals."""
    z = _z_parts(x1, n1, x2, n2)
    return None if z is None else rt.round_half_up(z, 6)


def _two_proportion_p(x1: Any, n1: Any, x2: Any, n2: Any) -> Decimal | None:
    """``two_proportion_p(x1, n1, x2, n2)``: the two-sided p-value of that z, 6 decimals."""
    z = _z_parts(x1, n1, x2, n2)
    if z is None:
        return None
    p = math.erfc(abs(float(z)) / math.sqrt(2))
    return rt.round_half_up(Decimal(repr(p)), 6)


def _concat(*args: Any) -> str:
    return "".join(a for a in args if a is not None)


def _hours(n: Any) -> Decimal | None:
    return None if n is None else Decimal(n) / 24


def _part(name: str) -> Callable[[Any], int | None]:
    def part(v: Any) -> int | None:
        d = rt.to_date(v)
        return None if d is None else int(getattr(d, name))

    return part


def parse_date(text: str) -> date:
    """Parse a ``date("2026-01-31")`` literal; raises ValueError if invalid."""
    return date.fromisoformat(text)


def parse_datetime(text: str) -> datetime:
    """Parse a ``datetime("2026-01-31T10:00:00Z")`` literal into UTC.

    A value without an offset is taken as UTC. Raises ValueError if invalid.
    """
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_MICROS_PER_HOUR = Decimal(3_600_000_000)


def _business_hours(a: Any, b: Any, calendar: Any) -> Decimal | None:
    """Business hours from ``a`` to ``b`` in ``calendar`` (a date is its local midnight).

    The checker replaces the calendar's name by its :class:`CalendarDef`.
    """
    if a is None or b is None or not isinstance(calendar, CalendarDef):
        return None
    start, end = _calendar_instant(a, calendar), _calendar_instant(b, calendar)
    elapsed = calendar.between(start, end)
    micros = (elapsed.days * 86_400 + elapsed.seconds) * 1_000_000 + elapsed.microseconds
    return Decimal(micros) / _MICROS_PER_HOUR


def _calendar_instant(value: Any, calendar: CalendarDef) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    day: date = value
    return datetime(day.year, day.month, day.day, tzinfo=calendar.zone).astimezone(UTC)


def _spec(
    name: str,
    signature: str,
    params: tuple[frozenset[DslType], ...],
    result: DslType | None,
    impl: Callable[..., Any] | None = None,
    **kw: Any,
) -> FunctionSpec:
    return FunctionSpec(name, signature, params, result, impl, **kw)


FUNCTIONS: dict[str, FunctionSpec] = {
    s.name: s
    for s in (
        _spec("today", "today()", (), T.DATE, context=ContextKind.TODAY),
        _spec("now", "now()", (), T.DATETIME, context=ContextKind.NOW),
        _spec("current_user", "current_user()", (), T.NUMBER, context=ContextKind.USER),
        _spec(
            "days_between", "days_between(date, date)", (_WHEN, _WHEN), T.NUMBER, rt.days_between
        ),
        _spec("lower", "lower(text)", (_TEXT,), T.TEXT, _unary(fold_lower)),
        _spec("upper", "upper(text)", (_TEXT,), T.TEXT, _unary(fold_upper)),
        _spec("trim", "trim(text)", (_TEXT,), T.TEXT, _unary(lambda s: s.strip(rt.TRIM_CHARS))),
        _spec("len", "len(text or list)", (frozenset({T.TEXT, T.LIST}),), T.NUMBER, _unary(len)),
        _spec(
            "coalesce",
            "coalesce(value, value, ...)",
            (_SCALAR, _SCALAR),
            None,
            _coalesce,
            rest=_SCALAR,
            same_type=True,
        ),
        _spec("round", "round(number[, digits])", (_NUM,), T.NUMBER, _round, optional=(_NUM,)),
        _spec("abs", "abs(number)", (_NUM,), T.NUMBER, _unary(abs)),
        _spec("min", "min(a, b)", (_ORDERED, _ORDERED), None, _least, same_type=True),
        _spec("max", "max(a, b)", (_ORDERED, _ORDERED), None, _greatest, same_type=True),
        _spec("if", "if(condition, then, else)", (_BOOL, _BRANCH, _BRANCH), None, _if),
        _spec(
            "divide",
            "divide(number, divisor[, default])",
            (_NUM, _NUM),
            T.NUMBER,
            _divide,
            optional=(_NUM,),
        ),
        _spec(
            "hash_bucket",
            "hash_bucket(text or id, buckets)",
            (_HASHABLE, _NUM),
            T.NUMBER,
            hash_bucket,
        ),
        _spec(
            "two_proportion_z",
            "two_proportion_z(successes_a, trials_a, successes_b, trials_b)",
            (_NUM, _NUM, _NUM, _NUM),
            T.NUMBER,
            _two_proportion_z,
        ),
        _spec(
            "two_proportion_p",
            "two_proportion_p(successes_a, trials_a, successes_b, trials_b)",
            (_NUM, _NUM, _NUM, _NUM),
            T.NUMBER,
            _two_proportion_p,
        ),
        _spec("concat", "concat(text, ...)", (_TEXT,), T.TEXT, _concat, rest=_TEXT),
        _spec("year", "year(date)", (_WHEN,), T.NUMBER, _part("year")),
        _spec("month", "month(date)", (_WHEN,), T.NUMBER, _part("month")),
        _spec("day", "day(date)", (_WHEN,), T.NUMBER, _part("day")),
        _spec(
            "date",
            'date("2026-01-31") or date(datetime)',
            (frozenset({T.TEXT, T.DATETIME}),),
            T.DATE,
            rt.to_date,
        ),
        _spec(
            "datetime",
            'datetime("2026-01-31T10:00:00Z") or datetime(date)',
            (frozenset({T.TEXT, T.DATE}),),
            T.DATETIME,
            rt.to_datetime,
        ),
        _spec("days", "days(number)", (_NUM,), T.NUMBER, lambda n: n),
        _spec("hours", "hours(number)", (_NUM,), T.NUMBER, _hours),
        _spec(
            "business_hours_between",
            'business_hours_between(start, end, "calendar")',
            (_WHEN, _WHEN, _TEXT),
            T.NUMBER,
            _business_hours,
        ),
    )
}
