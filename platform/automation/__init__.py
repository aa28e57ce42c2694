"""Which save hooks a tenant's app gets: workflows, pipelines, trigger rules, rollups.

Each feature contributes one factory that looks at the compiled app and returns a
hook, or None when the app does not use the feature.
"""

from __future__ import annotations

from collections.abc import Callable

from trellis.platform.notifications.hook import assignment_hook
from trellis.platform.pipelines import stage_history_hook
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.hooks import SaveHook
from trellis.platform.records.service import RecordService
from trellis.platform.rollups import rollup_hook
from trellis.platform.runtime.app_runtime import AppRuntime, PartKey
from trellis.platform.schedules.hook import schedule_hook
from trellis.platform.triggers import trigger_hook
from trellis.platform.workflows import workflow_hook

HookFactory = Callable[[CompiledApp], SaveHook | None]

#: Order matters: hooks run in this order before and after each write.
HOOK_FACTORIES: tuple[HookFactory, ...] = (
    rollup_hook,
    workflow_hook,
    stage_history_hook,
    trigger_hook,
    assignment_hook,
    schedule_hook,
)


def build_hooks(app: CompiledApp) -> tuple[SaveHook, ...]:
    """The hooks of ``app``, in order."""
    hooks = (factory(app) for factory in HOOK_FACTORIES)
    return tuple(hook for hook in hooks if hook is not None)


RECORDS: PartKey[RecordService] = PartKey("records")


def record_service(rt: AppRuntime) -> RecordService:
    """The app version's record service with its save hooks (built once per version)."""
    return rt.part(RECORDS, lambda rt: RecordService(rt.app, build_hooks(rt.app)))


__all__ = ["HOOK_FACTORIES", "HookFactory", "build_hooks", "record_service"]
