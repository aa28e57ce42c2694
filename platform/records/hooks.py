"""Extension points of the save pipeline: hooks that run before and after the write.

A hook is a small object with two methods. ``before_write`` may change
``event.record`` (formulas are recomputed afterwards) or raise a ``RecordError``
(nothing is written); ``after_write`` runs in the same transaction once the row and
its change row are written. Both append what they did to ``event.trace`` when a
dry run asks for an explanation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from trellis.rules.expr import EvalContext

if TYPE_CHECKING:
    from trellis.platform.records.compiled import CompiledEntity
    from trellis.platform.records.service import RecordService, SaveContext

Record = dict[str, Any]


@dataclass(slots=True)
class TraceStep:
    """One explained step of a save: what ran, its outcome and the fields it changed."""

    kind: str
    name: str
    result: str
    changes: dict[str, Any] = field(default_factory=dict)
    #: The entity whose record the step concerns (its fields are the ``changes`` keys).
    entity: str = ""

    def as_json(self) -> dict[str, Any]:
        """The step as the dry-run answer shows it."""
        return {
            "kind": self.kind,
            "name": self.name,
            "result": self.result,
            "changes": self.changes,
        }


@dataclass(slots=True)
class SaveEvent:
    """A save in progress, handed to every hook."""

    ctx: SaveContext
    entity: CompiledEntity
    op: str
    record: Record
    old: Record | None
    data: Mapping[str, Any]
    eval: EvalContext
    trace: list[TraceStep] | None = None
    #: The service running the save, for hooks that save other records.
    service: RecordService | None = None
    #: State a hook carries from ``before_write`` to ``after_write`` of the same save.
    scratch: dict[str, Any] = field(default_factory=dict)

    def changed(self, name: str) -> bool:
        """Whether field ``name`` differs from the stored record (always true on create)."""
        if self.old is None:
            return self.record.get(name) is not None
        return self.record.get(name) != self.old.get(name)

    def explain(
        self, kind: str, name: str, result: str, changes: dict[str, Any] | None = None
    ) -> None:
        """Record a step for dry runs (no cost when nobody asked)."""
        if self.trace is not None:
            self.trace.append(TraceStep(kind, name, result, changes or {}, self.entity.name))


class SaveHook(Protocol):
    """Something that takes part in every save of every entity."""

    def before_write(self, event: SaveEvent) -> None:
        """Run before the row is written; may change ``event.record`` or raise."""

    def after_write(self, event: SaveEvent) -> None:
        """Run after the row and its change row are written, in the same transaction."""


__all__ = ["Record", "SaveEvent", "SaveHook", "TraceStep"]
