"""Parsing of request parts shared by the API handlers: JSON bodies, If-Match, limits."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import msgspec

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model.local_text import Translatable
from trellis.platform.i18n import DEFAULT_LOCALE, accepted_locale
from trellis.platform.records.errors import BadRequestError, RecordError

#: Up to 18 digits: every such number fits a BIGINT version (the OpenAPI pattern agrees).
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')
MAX_BODY_BYTES = 5 * 1024 * 1024
#: Deepest nesting of arrays and objects a JSON body may have.
MAX_JSON_DEPTH = 64
INT64_MAX = 2**63 - 1
#: Rows of an admin list when ``limit`` is absent, and the most one page may ask for.
LIST_DEFAULT_LIMIT = 50
LIST_MAX_LIMIT = 500


class PayloadTooLargeError(RecordError):
    """The request body is larger than the server accepts (413)."""

    status = 413


def _too_deep() -> BadRequestError:
    message = Translatable(
        "The JSON body is nested more than %(depth)s levels deep.", depth=MAX_JSON_DEPTH
    )
    return BadRequestError(message, {"__all__": [message]})


def _check_depth(value: Any) -> None:
    """Raise unless arrays and objects in ``value`` nest at most ``MAX_JSON_DEPTH`` deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body; raises ``BadRequestError`` with the parser's reason.

    Bodies over ``MAX_BODY_BYTES`` are 413 and nesting deeper than ``MAX_JSON_DEPTH``
    is refused here, before recursive code (JSON Schema, rules) meets it.
    """
    if not raw.strip():
        raise BadRequestError(
            Translatable("The request body is empty; send a JSON object."),
            {"__all__": [Translatable("The request body is empty.")]},
        )
    if len(raw) > MAX_BODY_BYTES:
        message = Translatable("The request body is larger than %(max)s bytes.", max=MAX_BODY_BYTES)
        raise PayloadTooLargeError(message, {"__all__": [message]})
    try:
        value = msgspec.json.decode(raw)
    except RecursionError:
        raise _too_deep() from None
    except msgspec.DecodeError as exc:
        # The parser's own reason (where the JSON breaks) is kept as it words it.
        message = Translatable("The body is not valid JSON: %(reason)s", reason=str(exc))
        raise BadRequestError(message, {"__all__": [message]}) from None
    # Only a body with more brackets than the limit can nest deeper than it.
    if isinstance(value, dict | list) and raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        _check_depth(value)
    return value


def parse_object(raw: bytes) -> dict[str, Any]:
    """Decode a body that must be a JSON object."""
    value = parse_json(raw)
    if not isinstance(value, dict):
        message = Translatable("The body must be a JSON object.")
        raise BadRequestError(message, {"__all__": [message]})
    return value


def parse_list_limit(raw: str | None) -> int:
    """``limit`` of the admin lists (jobs, notifications, rule runs, sign-ins): 1 to
    ``LIST_MAX_LIMIT``, ``LIST_DEFAULT_LIMIT`` when absent; raises ``BadRequestError``."""
    if raw is None:
        return LIST_DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= LIST_MAX_LIMIT:
        raise BadRequestError(
            Translatable(
                "Parameter '%(name)s' has value '%(value)s'. Use 1 to %(top)s.",
                name="limit",
                value=raw,
                top=LIST_MAX_LIMIT,
            )
        )
    return int(raw)


def parse_if_match(header: str | None) -> int | None:
    """Parse ``If-Match: "3"`` (or a bare 3) into a version number."""
    if header is None:
        return None
    match = _ETAG.match(header)
    if match is None:
        shown = header if len(header) <= 40 else header[:40] + "…"
        raise BadRequestError(
            Translatable('If-Match must be a record version such as "3".'),
            {"If-Match": [Translatable("'%(value)s' is not a version.", value=shown)]},
        )
    return int(match.group(1))


def body_version(data: dict[str, Any]) -> int | None:
    """Pop ``version`` from a PATCH body (the optimistic-lock token)."""
    if "version" not in data:
        return None
    value = data.pop("version")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 3.0 is the whole number 3 in JSON, as for every integer field
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX:
        raise BadRequestError(
            Translatable("version must be a whole number."),
            {"version": [Translatable("Must be a whole number.")]},
        )
    return value


def check_query_params(params: Collection[str], allowed: Collection[str]) -> None:
    """Refuse query parameters the operation does not read (400 naming the first one).

    Each record operation declares its own names (``platform.api.params``), so a typo
    such as ``filtr=`` or a ``dry_run`` sent to a DELETE never passes unnoticed.
    """
    for name in params:
        if name in allowed:
            continue
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise BadRequestError(
            Translatable("Unknown query parameter '%(name)s'.", name=shown),
            {shown: [_unknown_parameter(shown, sorted(allowed))]},
        )


def _unknown_parameter(name: str, allowed: list[str]) -> Translatable:
    """Why ``name`` is refused: a near name if there is one, and the names taken."""
    if not allowed:
        return Translatable("Unknown query parameter; this operation takes none.")
    hint = did_you_mean(name, allowed)
    known = ", ".join(allowed)
    if hint:
        return Translatable(
            "Unknown query parameter (did you mean '%(hint)s'?); this operation takes: %(known)s.",
            hint=hint,
            known=known,
        )
    return Translatable("Unknown query parameter; this operation takes: %(known)s.", known=known)


def requested_version(if_match: str | None, data: dict[str, Any]) -> int | None:
    """The version a write expects: ``If-Match`` wins over ``version`` in the body.

    ``version`` is always removed from ``data`` (it is not a field).
    """
    in_body = body_version(data)
    header = parse_if_match(if_match)
    return header if header is not None else in_body


def request_locale(request: Any) -> str:
    """The label language an API caller asks for with ``Accept-Language`` (default en).

    An unknown or malformed header falls back to English without an error.
    """
    return accepted_locale(request.headers.get("accept-language")) or DEFAULT_LOCALE


__all__ = [
    "LIST_DEFAULT_LIMIT",
    "LIST_MAX_LIMIT",
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "PayloadTooLargeError",
    "body_version",
    "check_query_params",
    "parse_if_match",
    "parse_json",
    "parse_list_limit",
    "parse_object",
    "request_locale",
    "requested_version",
]
