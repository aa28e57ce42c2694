"""Column values to and from their JSON form in a backup's JSON Lines.

The JSON form is the same on every backend: times are ISO 8601 in UTC with an offset,
decimals are strings (no float rounding), bytes are base64; JSON columns stay JSON.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def to_json(value: Any) -> Any:
    """The JSON form of one column value read from the database."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def from_json(column: sa.Column[Any], value: Any) -> Any:
    """The database value of ``column`` for its JSON form ``value``.

    Raises:
        ValueError: ``value`` does not fit the column's type.
    """
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime):
        parsed = datetime.fromisoformat(str(value))
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, sa.Time):
        return time.fromisoformat(str(value))
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return Decimal(str(value))
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(str(value), validate=True)
    return value


__all__ = ["from_json", "to_json"]
