"""The numbers a numeric field's column holds, and the message naming that range."""

from __future__ import annotations

from decimal import Decimal

from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.type_names import FieldType

#: What a BIGINT column holds.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Fields whose values are whole numbers stored as BIGINT (record and user ids too).
WHOLE_TYPES = frozenset({FieldType.INTEGER, FieldType.REFERENCE, FieldType.USER})


def numeric_precision(f: FieldDef) -> tuple[int, int] | None:
    """(precision, scale) of the NUMERIC column of a decimal-like field, else None."""
    if f.type == FieldType.DECIMAL:
        return 24, f.scale if f.scale is not None else 6
    if f.type == FieldType.MONEY:
        return 20, 2
    if f.type == FieldType.PERCENT:
        return 9, 4
    return None


def storable_range(f: FieldDef) -> tuple[Decimal, Decimal] | None:
    """Inclusive bounds of the values the column of ``f`` holds (None: not a number).

    Integers are BIGINT; decimal-like values are rounded to the column's scale first,
    so money holds ±999999999999999999.99; percent is 0-100 whatever its column holds.
    """
    if f.type in WHOLE_TYPES:
        return Decimal(INT64_MIN), Decimal(INT64_MAX)
    if f.type == FieldType.PERCENT:
        return Decimal(0), Decimal(100)
    numeric = numeric_precision(f)
    if numeric is None:
        return None
    precision, scale = numeric
    top = Decimal(10) ** (precision - scale) - Decimal(1).scaleb(-scale)
    return -top, top


def value_range(f: FieldDef) -> tuple[Decimal, Decimal] | None:
    """The storable range of ``f`` intersected with its declared ``min``/``max``."""
    bounds = storable_range(f)
    if bounds is None:
        return None
    low, high = bounds
    if f.min is not None and f.min > low:
        low = f.min
    if f.max is not None and f.max < high:
        high = f.max
    return low, high


def range_message(f: FieldDef) -> str:
    """``Must be between LOW and HIGH.``: the values field ``f`` accepts."""
    low, high = value_range(f) or (Decimal(0), Decimal(0))
    return f"Must be between {format(low, 'f')} and {format(high, 'f')}."


__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "WHOLE_TYPES",
    "numeric_precision",
    "range_message",
    "storable_range",
    "value_range",
]
