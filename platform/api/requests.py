"""Parsing of request parts shared by the API handlers: JSON bodies, ids, If-Match."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from trellis.platform.records.errors import BadRequestError, NotFoundError

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')
MAX_BODY_BYTES = 5 * 1024 * 1024


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body; raises ``BadRequestError`` with the parser's reason."""
    if not raw.strip():
        raise BadRequestError(
            "The request body is empty; send a JSON object.",
            {"__all__": ["The request body is empty."]},
        )
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequestError(
            "The request body is too large.", {"__all__": ["The request body is too large."]}
        )
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequestError(
            f"The body is not valid JSON: {exc}",
            {"__all__": [f"The body is not valid JSON: {exc}"]},
        ) from None


def parse_object(raw: bytes) -> dict[str, Any]:
    """Decode a body that must be a JSON object."""
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise BadRequestError(
            "The body must be a JSON object.", {"__all__": ["The body must be a JSON object."]}
        )
    return value


def parse_id(entity: str, text: str) -> int:
    """Parse a record id from the path; an id that cannot exist is a 404."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > 2**63 - 1:
        raise NotFoundError(f"No {entity} with id {text}.")
    return int(text)


def parse_if_match(header: str | None) -> int | None:
    """Parse ``If-Match: "3"`` (or a bare 3) into a version number."""
    if header is None:
        return None
    match = _ETAG.match(header)
    if match is None:
        raise BadRequestError(
            'If-Match must be a record version such as "3".',
            {"If-Match": [f"'{header}' is not a version."]},
        )
    return int(match.group(1))


def body_version(data: dict[str, Any]) -> int | None:
    """Pop ``version`` from a PATCH body (the optimistic-lock token)."""
    if "version" not in data:
        return None
    value = data.pop("version")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(
            "version must be a whole number.", {"version": ["Must be a whole number."]}
        )
    return value


def requested_version(if_match: str | None, data: dict[str, Any]) -> int | None:
    """The version a write expects: ``If-Match`` wins over ``version`` in the body.

    ``version`` is always removed from ``data`` (it is not a field).
    """
    in_body = body_version(data)
    header = parse_if_match(if_match)
    return header if header is not None else in_body


__all__ = [
    "body_version",
    "parse_id",
    "parse_if_match",
    "parse_json",
    "parse_object",
    "requested_version",
]
