"""Conversions between JSON values and stored Python values, per field type.

Input values are fitted by each field type's ``FieldTypeSpec.coerce`` (in the model):
:func:`to_stored` for values the API receives, :func:`coerce_computed` for values an
expression computes (formulas, defaults, workflow ``set``), which become empty when
they do not fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from trellis.metadata.model import FIELD_TYPES, FieldDef, FieldType
from trellis.metadata.model.coerce import any_reference_parts, as_utc, to_decimal, to_integer
from trellis.metadata.model.ranges import numeric_precision, range_message

MONEY_SCALE = 2
#: Significant digits an 8-byte float (SQLite's storage of NUMERIC) keeps exactly.
FLOAT_DIGITS = 15


def field_scale(f: FieldDef) -> int | None:
    """Decimal places stored for a decimal-like field (None for other types)."""
    numeric = numeric_precision(f)
    return numeric[1] if numeric is not None else None


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
    try:
        return FIELD_TYPES[f.type].coerce(value, f)
    except (ValueError, ArithmeticError, TypeError):
        return None


def to_stored(value: Any, f: FieldDef) -> Any:
    """Convert a value into the Python value stored for field ``f``.

    Raises:
        ValueError: the value does not fit the field (the message says why).
    """
    if value is None:
        return None
    return FIELD_TYPES[f.type].coerce(value, f)


def decimal_text(value: Decimal, f: FieldDef) -> str:
    """Render a decimal-like value for JSON output: money with 2 places, others trimmed."""
    if f.type == FieldType.MONEY:
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
    if f is not None and f.type == FieldType.ANY_REFERENCE and isinstance(value, str):
        parts = any_reference_parts(value)
        return {"entity": parts[0], "id": parts[1]} if parts else None
    if f is not None and FIELD_TYPES[f.type].decimal:
        return decimal_text(value if isinstance(value, Decimal) else Decimal(str(value)), f)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


__all__ = [
    "FLOAT_DIGITS",
    "MONEY_SCALE",
    "as_utc",
    "coerce_computed",
    "decimal_text",
    "field_scale",
    "float_precision_errors",
    "range_message",
    "to_decimal",
    "to_integer",
    "to_json",
    "to_stored",
]
