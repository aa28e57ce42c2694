"""The state one save carries through the pipeline's steps, and the step shape itself."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.hooks import BoundHook, SaveEvent, SaveHook, Saver
from trellis.platform.records.repository import RecordRepository
from trellis.platform.records.save_context import SaveContext
from trellis.platform.records.validation import Errors
from trellis.rules.expr import EvalContext

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class HookTable:
    """The hooks of an app by pipeline step name, in the order they were bound."""

    before: Mapping[str, tuple[SaveHook, ...]]
    after: Mapping[str, tuple[SaveHook, ...]]

    @classmethod
    def of(cls, bound: Sequence[BoundHook], steps: Collection[str]) -> HookTable:
        """Group ``bound`` by step; every step named must be one of ``steps``.

        Raises:
            ValueError: a hook names a step the pipeline does not have.
        """
        before: dict[str, tuple[SaveHook, ...]] = {}
        after: dict[str, tuple[SaveHook, ...]] = {}
        for item in bound:
            for name, table in ((item.before, before), (item.after, after)):
                if name is None:
                    continue
                if name not in steps:
                    raise ValueError(f"Hook {item.hook!r} names step '{name}'; no such step.")
                table[name] = (*table.get(name, ()), item.hook)
        return cls(MappingProxyType(before), MappingProxyType(after))


@dataclass(slots=True)
class Save:
    """One save in progress: what was asked, what the steps worked out so far.

    ``event`` is what hooks see (the record as it will be written, the stored one);
    the other fields are the pipeline's own working state.
    """

    event: SaveEvent
    repo: RecordRepository
    #: The app's hooks by the step they run in.
    hooks: HookTable
    record_id: int | None = None
    expected_version: int | None = None
    #: The checked and converted values of the request (``coerce``).
    values: Record = field(default_factory=dict)
    #: Field errors collected before they are raised all at once.
    errors: Errors = field(default_factory=dict)
    #: The record after the first ``formulas`` step (hooks' changes recompute them).
    computed: Record | None = None
    #: ``{field: [before, after]}`` of the write (``write`` fills, ``change row`` logs).
    changes: dict[str, list[Any]] = field(default_factory=dict)
    #: The version the write stores.
    version: int = 0
    #: Set by a step when the rest of the pipeline has nothing to do.
    done: bool = False
    #: The ``lines`` fields sent with the save: field -> the list of lines as sent.
    lines: dict[str, Any] = field(default_factory=dict)

    @property
    def ctx(self) -> SaveContext:
        """Who saves, when, in which transaction."""
        return self.event.ctx

    @property
    def entity(self) -> CompiledEntity:
        """The entity saved."""
        return self.event.entity

    @property
    def app(self) -> CompiledApp:
        """The compiled app the entity belongs to."""
        return self.repo.app


@dataclass(frozen=True, slots=True)
class Step:
    """One named step of the save pipeline: a function of the save with one job."""

    name: str
    run: Callable[[Save], None]


def eval_context(repo: RecordRepository, ctx: SaveContext) -> EvalContext:
    """The expression context of a save: clock, user and cached reference lookups."""

    def resolve(entity_name: str, record_id: int) -> Mapping[str, Any] | None:
        key = (entity_name, record_id)
        if key not in ctx._refs:
            target = repo.app.entities.get(entity_name)
            ctx._refs[key] = repo.get(ctx.conn, target, record_id) if target else None
        return ctx._refs[key]

    return EvalContext(now=ctx.now, user_id=ctx.user_id, resolve=resolve)


def with_old(ectx: EvalContext, old: Mapping[str, Any] | None) -> EvalContext:
    """``ectx`` reading ``old`` for ``old()``/``changed()`` (itself when it already does)."""
    if ectx.old is old:
        return ectx
    return EvalContext(ectx.now, ectx.user_id, ectx.resolve, old)


def start_save(
    repo: RecordRepository,
    hooks: HookTable,
    ctx: SaveContext,
    entity: CompiledEntity,
    op: str,
    data: Mapping[str, Any],
    saver: Saver | None,
) -> Save:
    """A save of ``entity`` about to enter the pipeline (its record still empty)."""
    event = SaveEvent(ctx, entity, op, {}, None, data, eval_context(repo, ctx), ctx.trace, saver)
    return Save(event, repo, hooks)


__all__ = ["HookTable", "Record", "Save", "Step", "eval_context", "start_save", "with_old"]
