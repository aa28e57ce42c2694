"""Names of the link tables that hold ``many_to_many`` fields."""

from __future__ import annotations

import hashlib

#: Name prefix of the link tables (entity names never start with ``_``).
LINK_PREFIX = "_m2m_"
#: PostgreSQL's identifier limit; the link table's ``ix_<table>_target_id`` must fit.
_ROOM = 63 - len("ix__target_id")


def link_table_name(entity: str, field: str) -> str:
    """The link table of ``many_to_many`` field ``entity.field``.

    A name too long for its index name to fit PostgreSQL's 63 characters is cut and
    ends in a digest of the full name, so it stays unique.
    """
    name = f"{LINK_PREFIX}{entity}_{field}"
    if len(name) > _ROOM:
        digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
        name = f"{name[: _ROOM - 9]}_{digest}"
    return name


__all__ = ["LINK_PREFIX", "link_table_name"]
