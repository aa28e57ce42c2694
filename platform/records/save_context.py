"""Who saves and when: the context one save (and the saves it causes) runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.errors import ConflictError
from trellis.platform.records.hooks import TraceStep

Record = dict[str, Any]
#: Longest chain of saves one request may cause (rollups of rollups, rule actions).
MAX_CHAIN_DEPTH = 10


@dataclass(slots=True)
class SaveContext:
    """Who saves, when, and a per-request cache of referenced records."""

    conn: sa.Connection
    user_id: int | None
    now: datetime
    #: Steps of the save, collected when a dry run asks for an explanation.
    trace: list[TraceStep] | None = None
    #: How many chained saves (rollups, rule actions) led to the current one.
    depth: int = 0
    #: The caller's roles (workflow transitions allowed to some roles check them).
    roles: tuple[str, ...] = ()
    _refs: dict[tuple[str, int], Record | None] = field(default_factory=dict)


def check_chain_depth(ctx: SaveContext, message: Callable[[], str]) -> None:
    """Refuse one more chained save once ``MAX_CHAIN_DEPTH`` saves led to this one.

    Raises:
        ConflictError: with ``message()`` (built only then), so nothing is saved.
    """
    if ctx.depth >= MAX_CHAIN_DEPTH:
        raise ConflictError(message())


__all__ = ["MAX_CHAIN_DEPTH", "Record", "SaveContext", "check_chain_depth"]
