"""Compiled trigger rules: what the runtime evaluates on every save.

Phases: a rule whose actions are only ``set``, ``reject`` and ``assign`` runs
*before* the save (it can change or refuse the record); any other rule runs *after*
the write, in the same transaction, and may not use those three actions. A time rule
(``after|before N … from <date field>``) has the phase ``timer``: it runs when its
timer is due, outside any save, and may use every action except ``reject``.
"""

from __future__ import annotations

from dataclasses import dataclass

from trellis.rules.expr import CompiledExpression
from trellis.rules.triggers.actions import Action
from trellis.rules.triggers.kinds import Phase

#: Seconds per time unit of ``after|before N unit from f``.
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A checked rule, compiled once per metadata version."""

    name: str
    path: str
    line: int
    #: ``events``, ``change``, ``time`` or ``cron``.
    kind: str
    entity: str | None
    events: tuple[str, ...]
    field: str | None
    phase: Phase
    when: CompiledExpression | None
    actions: tuple[Action, ...]
    #: Time triggers: signed offset in seconds from the date field.
    offset_seconds: int = 0
    cron: str = ""

    @property
    def trigger(self) -> str:
        """The trigger as written, for records of runs."""
        if self.kind == "events":
            return ", ".join(self.events)
        if self.kind == "change":
            return f"{self.field} changes"
        if self.kind == "time":
            return f"timer from {self.field}"
        return f"every {self.cron}"


__all__ = ["UNIT_SECONDS", "CompiledRule"]
