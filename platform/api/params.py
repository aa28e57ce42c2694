"""Query parameters and headers of the record routes, checked as the OpenAPI document says.

Each record operation reads a known set of query parameters; any other name is a 400
naming it, so a misspelt ``limt=`` or a ``dry_run`` sent to a DELETE never passes
unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping

from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.errors import BadRequestError

LIST_PARAMS = frozenset({"filter", "sort", "limit", "cursor", "fields", "expand", "as_of"})
READ_PARAMS = frozenset({"expand", "as_of"})
CREATE_PARAMS = frozenset({"dry_run", "allow_duplicate"})
UPDATE_PARAMS = frozenset({"dry_run", "allow_duplicate"})
DELETE_PARAMS: frozenset[str] = frozenset()
FORM_PARAMS: frozenset[str] = frozenset()
BULK_PARAMS: frozenset[str] = frozenset()
#: Longest ``Idempotency-Key`` (it is stored with the user id in a 200-character key).
MAX_IDEMPOTENCY_KEY = 128
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def dry_run(params: Mapping[str, str]) -> bool:
    """``dry_run=true|false`` (also 1/0 and yes/no, any case); anything else is a 400."""
    return _flag(params, "dry_run")


def allow_duplicate(params: Mapping[str, str]) -> bool:
    """``allow_duplicate=true|false``: save although ``warn`` duplicate rules match."""
    return _flag(params, "allow_duplicate")


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None or value.lower() in _FALSE:
        return False
    if value.lower() in _TRUE:
        return True
    raise BadRequestError(
        Translatable("%(name)s must be true or false.", name=name),
        {name: [Translatable("'%(value)s' is not true or false.", value=_shown(value))]},
    )


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The ``Idempotency-Key`` header (None when absent or empty); 400 when too long."""
    key = headers.get("idempotency-key") or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise BadRequestError(
            "Idempotency-Key is too long.",
            {"Idempotency-Key": [f"At most {MAX_IDEMPOTENCY_KEY} characters."]},
        )
    return key


__all__ = [
    "BULK_PARAMS",
    "CREATE_PARAMS",
    "DELETE_PARAMS",
    "FORM_PARAMS",
    "LIST_PARAMS",
    "MAX_IDEMPOTENCY_KEY",
    "READ_PARAMS",
    "UPDATE_PARAMS",
    "allow_duplicate",
    "dry_run",
    "idempotency_key",
]
