"""Keyset cursors of lists: opaque, stateless, and checked against the sort's columns.

A cursor is base64 of ``{"s": sort signature, "v": the last row's sort values, "id"}``.
Clients can send anything, so decoding checks every value against the type of the
column it is compared with (an integer for a BIGINT, a date for a DATE, text without
NUL for text …) and within what the column holds: a damaged or crafted cursor is a
400, never a database error or a silently empty page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.records.errors import BadRequestError

if TYPE_CHECKING:
    from trellis.platform.records.compiled import CompiledEntity

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Longest cursor accepted (a real one holds a few sort values).
MAX_CURSOR_LENGTH = 4096


class _BadCursorError(ValueError):
    """A cursor value does not fit its column."""


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    return value


def encode_cursor(sort: Sequence[Any], row: Mapping[str, Any]) -> str:
    """An opaque cursor holding the sort signature and the last row's keys.

    ``sort`` holds the list's sort keys (``name`` and ``descending``).
    """
    payload = {
        "s": [("-" if k.descending else "") + k.name for k in sort],
        "v": [_encode_value(row[k.name]) for k in sort],
        "id": row["id"],
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadCursorError("not an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise _BadCursorError("integer out of range")
    return value


def _decimal(value: Any, column: sa.Numeric[Any]) -> Decimal:
    text = value.get("d") if isinstance(value, dict) and set(value) == {"d"} else None
    if not isinstance(text, str) or len(text) > 64:
        raise _BadCursorError("not a decimal")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _BadCursorError("not a decimal") from None
    digits = (column.precision or 38) - (column.scale or 0)
    if not number.is_finite() or (number and number.adjusted() >= digits):
        raise _BadCursorError("decimal out of range")
    return number


def _moment(value: Any, *, with_time: bool) -> date:
    text = value.get("t") if isinstance(value, dict) and set(value) == {"t"} else None
    if not isinstance(text, str) or len(text) > 40:
        raise _BadCursorError("not a date")
    timed = "T" in text or " " in text
    if timed != with_time:
        raise _BadCursorError("date and time mixed up")
    return datetime.fromisoformat(text) if with_time else date.fromisoformat(text)


def _typed_value(value: Any, column: sa.Column[Any]) -> Any:
    """``value`` as the Python value compared with ``column``; raises ``_BadCursorError``."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        if not isinstance(value, bool):
            raise _BadCursorError("not a boolean")
        return value
    if isinstance(kind, sa.Integer):
        return _integer(value)
    if isinstance(kind, sa.Numeric):
        return _decimal(value, kind)
    if isinstance(kind, sa.DateTime):
        return _moment(value, with_time=True)
    if isinstance(kind, sa.Date):
        return _moment(value, with_time=False)
    if isinstance(kind, sa.String):
        if not isinstance(value, str) or "\x00" in value:
            raise _BadCursorError("not text")
        return value
    raise _BadCursorError("unsortable column")


def decode_cursor(
    entity: CompiledEntity, sort: Sequence[Any], cursor: str
) -> tuple[list[Any], int]:
    """Decode a cursor made for the same sort of ``entity``; raises ``BadRequestError``."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise _BadCursorError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or not isinstance(payload.get("v"), list):
            raise _BadCursorError("not a cursor")
        signature = [("-" if k.descending else "") + k.name for k in sort]
        if payload.get("s") != signature or len(payload["v"]) != len(sort):
            raise _BadCursorError("sort differs")
        values = [
            _typed_value(v, entity.table.c[k.name]) for k, v in zip(sort, payload["v"], strict=True)
        ]
        last_id = _integer(payload.get("id"))
    except (ValueError, TypeError, RecursionError, binascii.Error):
        # ValueError covers JSON, UnicodeDecodeError, ISO dates and _BadCursorError.
        raise BadRequestError(
            "The cursor is not valid for this list (it belongs to another sort or is damaged).",
            {"cursor": ["Invalid cursor."]},
        ) from None
    return values, last_id


__all__ = ["MAX_CURSOR_LENGTH", "decode_cursor", "encode_cursor"]
