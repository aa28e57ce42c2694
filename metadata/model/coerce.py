"""Fitting a value to a field type: one ``coerce`` per field type.

Each field type's :class:`~trellis.metadata.model.field_types.FieldTypeSpec` holds one
of these functions. It takes a value as the API receives it (after its JSON Schema)
or as an expression computes it (formulas, defaults, workflow and trigger ``set``)
and returns the Python value stored for the field, or raises :class:`FieldValueError`
with the message shown to the user. The functions only need the field's definition,
so they live with the model; the platform reports the error (or, for computed
values, stores nothing).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.ranges import numeric_precision, range_message, storable_range
from trellis.metadata.model.rich_text import MAX_RICH_TEXT_LENGTH, sanitise

#: Numbers whose integer part has more digits than this are out of every column's
#: range; they are refused before rounding, which would otherwise build huge numbers.
_MAX_DIGITS = 40
_ROUNDING = Context(prec=_MAX_DIGITS + 20, rounding=ROUND_HALF_UP)


class FieldValueError(ValueError):
    """A value that does not fit its field's type; the message is shown to the user."""


def _check_storable(number: Decimal, f: FieldDef) -> None:
    bounds = storable_range(f)
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise FieldValueError(range_message(f))


def to_decimal(value: Any, f: FieldDef) -> Decimal:
    """Parse a number or numeric string into a Decimal rounded to the field's scale.

    Raises:
        FieldValueError: the value is not a finite number, or it is outside what the
            field's column holds (the message names the range).
    """
    if isinstance(value, bool):
        raise FieldValueError("Must be a number.")
    try:
        number = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise FieldValueError("Must be a number.") from None
    if not number.is_finite():
        raise FieldValueError("Must be a finite number.")
    if number and number.adjusted() >= _MAX_DIGITS:
        raise FieldValueError(range_message(f))
    numeric = numeric_precision(f)
    if numeric is not None:
        number = number.quantize(Decimal(1).scaleb(-numeric[1]), context=_ROUNDING)
    _check_storable(number, f)
    return number


def to_integer(value: Any, f: FieldDef) -> int:
    """Convert a whole number (an integral float too) into a BIGINT value.

    Raises:
        FieldValueError: the value is not a whole number or is outside the BIGINT range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FieldValueError("Must be a whole number.")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise FieldValueError("Must be a whole number.")
    if isinstance(value, Decimal):
        if not (value.is_finite() and value == value.to_integral()):
            raise FieldValueError("Must be a whole number.")
        if value and value.adjusted() >= _MAX_DIGITS:
            raise FieldValueError(range_message(f))
    number = int(value)
    _check_storable(Decimal(number), f)
    return number


def as_utc(value: datetime) -> datetime:
    """Make ``value`` aware UTC; naive values (SQLite) are taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def coerce_whole(value: Any, f: FieldDef) -> int:
    """A BIGINT value; a computed fraction is cut toward zero (the API sends integers)."""
    if isinstance(value, Decimal) and value.is_finite():
        value = value.to_integral_value(ROUND_DOWN)
    elif isinstance(value, float) and math.isfinite(value):
        value = math.trunc(value)
    return to_integer(value, f)


def coerce_boolean(value: Any, f: FieldDef) -> bool:
    """``true`` or ``false``; a computed value by its truth."""
    return bool(value)


def coerce_date(value: Any, f: FieldDef) -> Any:
    """A date from an ISO 8601 date string, a date, or the day of a datetime."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def coerce_datetime(value: Any, f: FieldDef) -> Any:
    """An aware UTC datetime from an ISO 8601 string or a datetime."""
    if isinstance(value, str):
        return as_utc(datetime.fromisoformat(value))
    return as_utc(value) if isinstance(value, datetime) else value


def coerce_text(value: Any, f: FieldDef) -> str:
    """Text; a computed number is written in plain decimal notation."""
    if isinstance(value, str):
        return value
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def coerce_id_list(value: Any, f: FieldDef) -> list[int]:
    """A ``many_to_many`` value: distinct record ids, ascending (the order is not kept).

    Raises:
        FieldValueError: the value is not a list, or an item is not a positive id.
    """
    if not isinstance(value, list | tuple):
        raise FieldValueError("Must be a list of record ids.")
    ids: set[int] = set()
    for item in value:
        number = coerce_whole(item, f)
        if number < 1:
            raise FieldValueError("Record ids are whole numbers from 1.")
        ids.add(number)
    return sorted(ids)


def any_reference_parts(value: str) -> tuple[str, int] | None:
    """``("contact", 12)`` of a stored ``any_reference`` value ``"contact:12"`` (or None)."""
    entity, _, ident = value.partition(":")
    return (entity, int(ident)) if entity and ident.isdigit() else None


def coerce_any_reference(value: Any, f: FieldDef) -> str:
    """An ``any_reference`` value: ``{"entity": "contact", "id": 12}`` (the API's shape) or
    ``"contact:12"`` (the stored text an expression may give) -> ``"contact:12"``.

    Raises:
        FieldValueError: not such a value, or an entity that is not one of ``targets``.
    """
    if isinstance(value, str):
        parts = any_reference_parts(value)
        if parts is None:
            raise FieldValueError('Must be {"entity": …, "id": …}.')
        value = {"entity": parts[0], "id": parts[1]}
    if not isinstance(value, dict) or set(value) != {"entity", "id"}:
        raise FieldValueError('Must be {"entity": …, "id": …}.')
    entity, ident = value["entity"], value["id"]
    if entity not in f.targets:
        raise FieldValueError(f"Must point at one of: {', '.join(f.targets)}.")
    number = to_integer(ident, f)
    if number < 1:
        raise FieldValueError("Record ids are whole numbers from 1.")
    return f"{entity}:{number}"


def coerce_rich_text(value: Any, f: FieldDef) -> str:
    """Rich text as stored: sanitised HTML; a computed value is written as text first.

    Raises:
        FieldValueError: the text is longer than ``MAX_RICH_TEXT_LENGTH``.
    """
    text = coerce_text(value, f)
    if len(text) > MAX_RICH_TEXT_LENGTH:
        raise FieldValueError(f"Use at most {MAX_RICH_TEXT_LENGTH} characters.")
    return sanitise(text)


def coerce_as_is(value: Any, f: FieldDef) -> Any:
    """Lists and JSON are stored as they come (the JSON Schema checked their shape)."""
    return value


__all__ = [
    "FieldValueError",
    "any_reference_parts",
    "as_utc",
    "coerce_any_reference",
    "coerce_as_is",
    "coerce_boolean",
    "coerce_date",
    "coerce_datetime",
    "coerce_id_list",
    "coerce_rich_text",
    "coerce_text",
    "coerce_whole",
    "to_decimal",
    "to_integer",
]
