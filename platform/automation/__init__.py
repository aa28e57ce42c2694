"""Which save hooks a tenant's app gets, and the pipeline steps they run in.

Each feature contributes one factory that looks at the compiled app and returns a
hook, or None when the app does not use the feature. The hook runs in the named
steps of the save pipeline: rollups give a new parent its empty rollups and
recompute parents after a child's write; workflows guard transitions; stage
history follows pipeline fields; trigger rules run before and after the save;
the live chat fills a transcript (before the rules) and notifies
its agents; assignment notifications and SLA timers and reminders go to the outbox step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trellis.platform.duplicates.hook import duplicate_hook
from trellis.platform.notifications.chat_hook import chat_hook
from trellis.platform.notifications.hook import assignment_hook
from trellis.platform.pipelines import stage_history_hook
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import BoundHook, SaveHook
from trellis.platform.records.pipeline.sequences import (
    AFTER_SAVE_RULES,
    BEFORE_SAVE_RULES,
    DUPLICATES,
    OUTBOX,
    ROLLUP_DEFAULTS,
    ROLLUPS,
    STAGE_HISTORY,
    WORKFLOW_GUARD,
)
from trellis.platform.records.service import RecordService
from trellis.platform.recycle import cascade_hook, on_delete_hook
from trellis.platform.rollups import rollup_hook
from trellis.platform.runtime.app_runtime import AppRuntime, PartKey
from trellis.platform.schedules.hook import schedule_hook
from trellis.platform.triggers import trigger_hook
from trellis.platform.workflows import workflow_hook

HookFactory = Callable[[CompiledApp], SaveHook | None]


@dataclass(frozen=True, slots=True)
class HookSpec:
    """A feature's hook factory and the steps its hook runs in (before, after the write)."""

    factory: HookFactory
    before: str | None = None
    after: str | None = None


#: Order matters: hooks bound to the same step run in this order.
HOOK_FACTORIES: tuple[HookSpec, ...] = (
    HookSpec(rollup_hook, before=ROLLUP_DEFAULTS, after=ROLLUPS),
    HookSpec(workflow_hook, before=WORKFLOW_GUARD),
    HookSpec(stage_history_hook, after=STAGE_HISTORY),
    HookSpec(chat_hook, before=BEFORE_SAVE_RULES, after=OUTBOX),
    HookSpec(trigger_hook, before=BEFORE_SAVE_RULES, after=AFTER_SAVE_RULES),
    HookSpec(assignment_hook, after=OUTBOX),
    HookSpec(schedule_hook, after=OUTBOX),
    HookSpec(on_delete_hook, after=ROLLUPS),
    HookSpec(cascade_hook, after=ROLLUPS),
    HookSpec(duplicate_hook, before=DUPLICATES),
)


def build_hooks(app: CompiledApp) -> tuple[BoundHook, ...]:
    """The hooks of ``app``, bound to their steps, in order."""
    bound: list[BoundHook] = []
    for spec in HOOK_FACTORIES:
        hook = spec.factory(app)
        if hook is not None:
            bound.append(BoundHook(hook, spec.before, spec.after))
    return tuple(bound)


RECORDS: PartKey[RecordService] = PartKey("records")


def record_service(rt: AppRuntime) -> RecordService:
    """The app version's record service with its save hooks (built once per version)."""
    return rt.part(RECORDS, lambda rt: RecordService(rt.app, build_hooks(rt.app)))


__all__ = ["HOOK_FACTORIES", "HookFactory", "HookSpec", "build_hooks", "record_service"]
