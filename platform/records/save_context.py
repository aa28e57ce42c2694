"""Who saves and when: the context one save (and the saves it causes) runs in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.records.errors import ConflictError
from trellis.platform.records.hooks import TraceStep
from trellis.platform.records.principal import Principal, on_behalf

if TYPE_CHECKING:
    from trellis.platform.workflows.hook import Intent

Record = dict[str, Any]
#: Longest chain of saves one request may cause (rollups of rollups, rule actions).
MAX_CHAIN_DEPTH = 10


@dataclass(slots=True)
class SaveContext:
    """Who saves (the principal), when, and a per-request cache of referenced records."""

    conn: sa.Connection
    principal: Principal
    now: datetime
    #: Steps of the save, collected when a dry run asks for an explanation.
    trace: list[TraceStep] | None = None
    #: How many chained saves (rollups, rule actions) led to the current one.
    depth: int = 0
    #: The workflow transition the current save was started for (transition endpoint).
    intent: Intent | None = None
    #: How the save was asked for (change rows' ``source``): api, form, import, merge …
    source: str = "api"
    #: Whether rule actions queue emails and webhooks (an import may turn them off).
    side_effects: bool = True
    #: The record whose delete (or restore) the current cascade runs for, if any.
    cascade_root: tuple[str, int] | None = None
    #: The parent whose lines the current save writes: its rollups wait for the last line.
    lines_parent: tuple[str, int] | None = None
    #: The caller confirmed a save that ``warn`` duplicate rules would question.
    allow_duplicate: bool = False
    #: When a set: parents whose rollups wait, totalled once by ``flush_rollups``
    #: (bulk loads); rules of the transaction then see them as they were.
    deferred_rollups: set[tuple[str, int]] | None = None
    _refs: dict[tuple[str, int], Record | None] = field(default_factory=dict)

    @property
    def user_id(self) -> int | None:
        """The user id the save records (``created_by``, change rows); None: no user."""
        return self.principal.user_id

    @property
    def roles(self) -> tuple[str, ...]:
        """The principal's roles (workflow transitions allowed to some roles check them)."""
        return self.principal.roles


@contextmanager
def chained(ctx: SaveContext, reason: str, message: Callable[[], str]) -> Iterator[None]:
    """Run one save caused by the current one, as the system on its behalf.

    The one chain-depth check: past ``MAX_CHAIN_DEPTH`` chained saves the whole
    transaction is refused.

    Raises:
        ConflictError: with ``message()`` (built only then), so nothing is saved.
    """
    if ctx.depth >= MAX_CHAIN_DEPTH:
        raise ConflictError(message())
    principal = ctx.principal
    ctx.principal = on_behalf(principal, reason)
    ctx.depth += 1
    try:
        yield
    finally:
        ctx.depth -= 1
        ctx.principal = principal


__all__ = ["MAX_CHAIN_DEPTH", "Record", "SaveContext", "chained"]
