"""Conversions between JSON values and stored Python values, per field type."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from trellis.metadata.model import FIELD_TYPES, DslType, FieldDef
from trellis.metadata.model.field_types import numeric_precision, storable_range, value_range

MONEY_SCALE = 2
#: Significant digits an 8-byte float (SQLite's storage of NUMERIC) keeps exactly.
FLOAT_DIGITS = 15
#: Numbers whose integer part has more digits than this are out of every column's
#: range; they are refused before rounding, which would otherwise build huge numbers.
_MAX_DIGITS = 40
_ROUNDING = Context(prec=_MAX_DIGITS + 20, rounding=ROUND_HALF_UP)


def field_scale(f: FieldDef) -> int | None:
    """Decimal places stored for a decimal-like field (None for other types)."""
    numeric = numeric_precision(f)
    return numeric[1] if numeric is not None else None


def _bound_text(value: Decimal) -> str:
    return format(value, "f")


def range_message(f: FieldDef) -> str:
    """``Must be between LOW and HIGH.``: the values field ``f`` accepts."""
    low, high = value_range(f) or (Decimal(0), Decimal(0))
    return f"Must be between {_bound_text(low)} and {_bound_text(high)}."


def _check_storable(number: Decimal, f: FieldDef) -> None:
    bounds = storable_range(f)
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise ValueError(range_message(f))


def to_decimal(value: Any, f: FieldDef) -> Decimal:
    """Parse a JSON number or numeric string into a Decimal rounded to the field's scale.

    Raises:
        ValueError: the value is not a finite number, or it is outside what the
            field's column holds (the message names the range).
    """
    if isinstance(value, bool):
        raise ValueError("Must be a number.")
    try:
        number = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError("Must be a number.") from None
    if not number.is_finite():
        raise ValueError("Must be a finite number.")
    if number and number.adjusted() >= _MAX_DIGITS:
        raise ValueError(range_message(f))
    scale = field_scale(f)
    if scale is not None:
        number = number.quantize(Decimal(1).scaleb(-scale), context=_ROUNDING)
    _check_storable(number, f)
    return number


def to_integer(value: Any, f: FieldDef) -> int:
    """Convert a whole number (an integral float too) into a BIGINT value.

    Raises:
        ValueError: the value is not a whole number or is outside the BIGINT range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("Must be a whole number.")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError("Must be a whole number.")
    if isinstance(value, Decimal):
        if not (value.is_finite() and value == value.to_integral()):
            raise ValueError("Must be a whole number.")
        if value and value.adjusted() >= _MAX_DIGITS:
            raise ValueError(range_message(f))
    number = int(value)
    _check_storable(Decimal(number), f)
    return number


def float_precision_errors(
    fields: Mapping[str, FieldDef], values: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Errors of decimal values with more significant digits than SQLite keeps.

    SQLite stores NUMERIC as 8-byte floats, exact to ``FLOAT_DIGITS`` significant
    digits; a longer number would be saved changed, so the save refuses it instead.
    """
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        f = fields.get(name)
        if f is None or not isinstance(value, Decimal) or not FIELD_TYPES[f.type].decimal:
            continue
        if len(value.normalize().as_tuple().digits) > FLOAT_DIGITS:
            errors[name] = [
                f"Use at most {FLOAT_DIGITS} significant digits; "
                "this database does not store more exactly."
            ]
    return errors


def coerce_computed(f: FieldDef, value: Any) -> Any:
    """Fit a computed value to its field's type; values that do not fit become empty."""
    if value is None:
        return None
    spec = FIELD_TYPES[f.type]
    try:
        if spec.decimal:
            return to_decimal(value, f)
        if f.type in ("integer", "user", "reference"):
            whole = value.to_integral_value(ROUND_DOWN) if isinstance(value, Decimal) else value
            return to_integer(whole if isinstance(whole, Decimal) else int(whole), f)
        if f.type == "boolean":
            return bool(value)
        if f.type == "date" and isinstance(value, date):
            return value if not isinstance(value, datetime) else value.date()
        if spec.dsl_type is DslType.TEXT:
            return str(value) if not isinstance(value, Decimal) else format(value, "f")
    except (ValueError, ArithmeticError):
        return None
    return value


def as_utc(value: datetime) -> datetime:
    """Make ``value`` aware UTC; naive values (SQLite) are taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_stored(value: Any, f: FieldDef) -> Any:
    """Convert a schema-valid JSON value into the Python value stored for field ``f``."""
    if value is None:
        return None
    spec = FIELD_TYPES[f.type]
    if spec.decimal:
        return to_decimal(value, f)
    if f.type in ("integer", "reference", "user"):
        return to_integer(value, f)
    if f.type == "date":
        return date.fromisoformat(value)
    if f.type == "datetime":
        return as_utc(datetime.fromisoformat(value))
    return value


def decimal_text(value: Decimal, f: FieldDef) -> str:
    """Render a decimal-like value for JSON output: money with 2 places, others trimmed."""
    if f.type == "money":
        return f"{value:.{MONEY_SCALE}f}"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def to_json(value: Any, f: FieldDef | None) -> Any:
    """Convert a stored value into its JSON form (dates ISO 8601, decimals as strings)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if f is not None and FIELD_TYPES[f.type].decimal:
        return decimal_text(value if isinstance(value, Decimal) else Decimal(str(value)), f)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


__all__ = [
    "FLOAT_DIGITS",
    "MONEY_SCALE",
    "as_utc",
    "decimal_text",
    "field_scale",
    "float_precision_errors",
    "range_message",
    "to_decimal",
    "to_integer",
    "to_json",
    "to_stored",
]
