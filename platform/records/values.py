"""Conversions between JSON values and stored Python values, per field type."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from trellis.metadata.model import FIELD_TYPES, FieldDef

MONEY_SCALE = 2


def field_scale(f: FieldDef) -> int | None:
    """Decimal places stored for a decimal-like field (None for other types)."""
    if f.type == "money":
        return MONEY_SCALE
    if f.type == "percent":
        return 4
    if f.type == "decimal":
        return f.scale if f.scale is not None else 6
    return None


def to_decimal(value: Any, f: FieldDef) -> Decimal:
    """Parse a JSON number or numeric string into a Decimal rounded to the field's scale.

    Raises:
        ValueError: the value is not a finite number.
    """
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("Must be a number.") from None
    if not number.is_finite():
        raise ValueError("Must be a finite number.")
    scale = field_scale(f)
    if scale is not None:
        number = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return number


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
    "MONEY_SCALE",
    "as_utc",
    "decimal_text",
    "field_scale",
    "to_decimal",
    "to_json",
    "to_stored",
]
