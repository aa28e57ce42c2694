"""Records as JSON: flat objects, decimals as strings, dates in ISO 8601."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.values import to_json


def _plain(value: Any) -> Any:
    """Encode str subclasses (per-locale labels, translatable messages) as their text."""
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"Objects of type {type(value).__name__} are not JSON.")


_ENCODER = msgspec.json.Encoder(decimal_format="string", enc_hook=_plain)
#: The media type of JSON bodies.
JSON = "application/json"


def record_json(
    entity: CompiledEntity, row: Mapping[str, Any], fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """The JSON object of one record, limited to ``fields`` when given."""
    defs = entity.entity.fields
    names = fields if fields is not None else entity.columns
    return {name: to_json(row.get(name), defs.get(name)) for name in names}


def encode(value: Any) -> bytes:
    """Encode a JSON-ready value."""
    return _ENCODER.encode(value)


__all__ = ["JSON", "encode", "record_json"]
