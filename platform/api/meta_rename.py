"""The body of ``POST _meta/draft/rename``: which entity or field, and its new name."""

from __future__ import annotations

import re
from typing import Any

from trellis.platform.drafts import Rename
from trellis.platform.records.errors import ValidationFailedError

#: Entity and field names, as the package schemas spell them.
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _name(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not NAME.fullmatch(value):
        message = "Must be a name: a lower-case letter, then letters, digits or _ (at most 40)."
        raise ValidationFailedError({key: [message]})
    return value


def rename_request(data: dict[str, Any]) -> Rename:
    """``{"entity", "from", "to"}`` renames a field; ``{"entity", "to"}`` the entity.

    Raises:
        ValidationFailedError: a missing or malformed name.
    """
    entity = _name(data, "entity")
    new = _name(data, "to")
    old = _name(data, "from") if "from" in data else entity
    kind = "field" if "from" in data else "entity"
    return Rename(kind, entity, old, new)


__all__ = ["rename_request"]
