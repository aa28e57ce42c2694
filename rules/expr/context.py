"""What an expression may see besides the record: the clock, the user, related records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

Resolver = Callable[[str, int], Mapping[str, Any] | None]


def no_records(entity: str, record_id: int) -> Mapping[str, Any] | None:
    """A resolver that finds nothing: every reference reads as empty."""
    return None


@dataclass(frozen=True, slots=True)
class EvalContext:
    """The evaluation context, shared by the closure and the SQL compiler.

    Attributes:
        now: The current time; converted to UTC (a naive value is taken as UTC).
            ``today()`` is its date.
        user_id: The acting user's id, for ``current_user()``.
        resolve: Returns the referenced record ``(entity name, id)`` or None;
            used to read through references such as ``account.industry``.
        old: The stored record before the save being evaluated, for ``old()`` and
            ``changed()``; None on a create or outside a save.
    """

    now: datetime
    user_id: int | None = None
    resolve: Resolver = no_records
    old: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        # Closures and SQL compare ``now`` with stored UTC values: normalise it once.
        now = self.now
        utc = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        object.__setattr__(self, "now", utc)

    @property
    def today(self) -> date:
        """The UTC date of ``now``."""
        return self.now.date()
