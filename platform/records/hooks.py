"""Extension points of the save pipeline: hooks that run before and after the write.

A hook is a small object with two methods. ``before_write`` may change
``event.record`` (formulas are recomputed afterwards) or raise a ``RecordError``
(nothing is written); ``after_write`` runs in the same transaction once the row and
its change row are written. Both append what they did to ``event.trace`` when a
dry run asks for an explanation. A :class:`BoundHook` names the pipeline steps a hook
runs in; saves a hook causes (rule actions, rollups) go through the :class:`Saver`
the event carries, never through the service itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from trellis.rules.expr import EvalContext

if TYPE_CHECKING:
    from trellis.platform.records.compiled import CompiledEntity
    from trellis.platform.records.save_context import SaveContext

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
    #: The save pipeline's step it was explained in (``formulas``, ``after-save rules`` …).
    step: str = ""

    def as_json(self) -> dict[str, Any]:
        """The step as the dry-run answer shows it."""
        return {
            "kind": self.kind,
            "name": self.name,
            "result": self.result,
            "changes": self.changes,
            "step": self.step,
        }


class Saver(Protocol):
    """Saves a hook may cause (a rule creating a record, a rollup on the parent).

    They run through the same save pipeline, in the same transaction, as the system
    on behalf of the save that caused them.
    """

    def create(self, ctx: SaveContext, entity: CompiledEntity, data: Mapping[str, Any]) -> Record:
        """Create a record; see ``RecordService.create``."""
        ...

    def update(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        record_id: int,
        data: Mapping[str, Any],
        expected_version: int | None,
    ) -> Record:
        """Update a record; see ``RecordService.update``."""
        ...

    def recompute(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, values: Mapping[str, Any]
    ) -> None:
        """Store computed values on a record; see ``RecordService.recompute``."""
        ...

    def delete(
        self, ctx: SaveContext, entity: CompiledEntity, record_id: int, expected_version: int | None
    ) -> None:
        """Soft-delete a record (``on_delete: cascade``); see ``RecordService.delete``."""
        ...

    def restore(self, ctx: SaveContext, entity: CompiledEntity, record_id: int) -> Record:
        """Undelete a record; see ``RecordService.restore``."""
        ...


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
    #: Saves of other records the hooks may cause (the pipeline running this save).
    saver: Saver | None = None
    #: State a hook carries from ``before_write`` to ``after_write`` of the same save.
    scratch: dict[str, Any] = field(default_factory=dict)
    #: The pipeline step running now (what ``explain`` files its steps under).
    step: str = ""

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
            entry = TraceStep(kind, name, result, changes or {}, self.entity.name, self.step)
            self.trace.append(entry)


class SaveHook(Protocol):
    """Something that takes part in every save of every entity."""

    def before_write(self, event: SaveEvent) -> None:
        """Run before the row is written; may change ``event.record`` or raise."""

    def after_write(self, event: SaveEvent) -> None:
        """Run after the row and its change row are written, in the same transaction."""


@dataclass(frozen=True, slots=True)
class BoundHook:
    """A hook and the pipeline steps it runs in, before and after the write (None: not)."""

    hook: SaveHook
    before: str | None
    after: str | None


__all__ = ["BoundHook", "Record", "SaveEvent", "SaveHook", "Saver", "TraceStep"]
