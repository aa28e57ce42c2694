"""The save pipeline, declared: the named steps of a create, an update, a delete, a recompute.

The order is the one of DESIGN.md §5. Steps run one after the other on a
:class:`Save`; a step that refuses raises a ``RecordError`` and nothing after it
runs (the caller's transaction then rolls back). Hooks (workflows, rules, rollups,
stage history, notifications and timers) run in the steps they are bound to
(``BoundHook``), in the order they were bound. A dry run's trace lists every step
of the save that ran by its name (kind ``step``); every other entry (a default
set, a rule applied, a rollup recomputed) names the step it happened in.
"""

from __future__ import annotations

from collections.abc import Sequence

from trellis.platform.records.pipeline.checks import (
    authorize,
    check_fields,
    coerce,
    compute,
    defaults,
    formulas,
    load,
    refresh_formulas,
    validate,
)
from trellis.platform.records.pipeline.lines_step import save_lines
from trellis.platform.records.pipeline.restore import (
    authorize_restore,
    check_restorable,
    load_deleted,
    write_restore,
)
from trellis.platform.records.pipeline.state import Save, Step, with_old
from trellis.platform.records.pipeline.writes import (
    autonumbers,
    change_row,
    explain_recompute,
    insert,
    soft_delete,
    store_computed,
    update,
)

AUTHORIZE = "authorize"
LOAD = "load"
COERCE = "coerce"
DEFAULTS = "defaults"
CHECK_FIELDS = "check fields"
FORMULAS = "formulas"
ROLLUP_DEFAULTS = "rollup defaults"
WORKFLOW_GUARD = "workflow guard"
BEFORE_SAVE_RULES = "before-save rules"
REFRESH_FORMULAS = "refresh formulas"
VALIDATE = "validate"
DUPLICATES = "duplicates"
AUTONUMBER = "autonumber"
WRITE = "write"
CHANGE_ROW = "change row"
ROLLUPS = "rollups"
STAGE_HISTORY = "stage history"
AFTER_SAVE_RULES = "after-save rules"
OUTBOX = "outbox"
LINES = "lines"


def before_hooks(save: Save) -> None:
    """Run the hooks bound to the current step before the write (may change the record)."""
    for hook in save.hooks.before.get(save.event.step, ()):
        hook.before_write(save.event)


def after_hooks(save: Save) -> None:
    """Run the hooks bound to the current step after the write, in its transaction."""
    for hook in save.hooks.after.get(save.event.step, ()):
        hook.after_write(save.event)


def load_for_recompute(save: Save) -> None:
    """Read and lock the record to recompute (gone: nothing to do); apply the values."""
    current = save.repo.get_for_update(save.ctx.conn, save.entity, int(save.record_id or 0))
    if current is None:
        save.done = True
        return
    save.event.old = current
    save.event.eval = with_old(save.event.eval, current)
    save.event.record = {**current, **save.values}


def recompute_formulas(save: Save) -> None:
    """Compute the formulas of a record whose computed values changed."""
    compute(save)


def store_recomputed(save: Save) -> None:
    """Store what changed (nothing: stop) and explain it."""
    store_computed(save)
    if not save.done:
        explain_recompute(save)


_BEFORE_HOOKS = (
    Step(ROLLUP_DEFAULTS, before_hooks),
    Step(WORKFLOW_GUARD, before_hooks),
    Step(BEFORE_SAVE_RULES, before_hooks),
)
_AFTER_HOOKS = (
    Step(ROLLUPS, after_hooks),
    Step(STAGE_HISTORY, after_hooks),
    Step(AFTER_SAVE_RULES, after_hooks),
    Step(OUTBOX, after_hooks),
)

CREATE_STEPS: tuple[Step, ...] = (
    Step(AUTHORIZE, authorize),
    Step(COERCE, coerce),
    Step(DEFAULTS, defaults),
    Step(CHECK_FIELDS, check_fields),
    Step(FORMULAS, formulas),
    *_BEFORE_HOOKS,
    Step(REFRESH_FORMULAS, refresh_formulas),
    Step(VALIDATE, validate),
    Step(DUPLICATES, before_hooks),
    Step(AUTONUMBER, autonumbers),
    Step(WRITE, insert),
    Step(CHANGE_ROW, change_row),
    *_AFTER_HOOKS,
)
UPDATE_STEPS: tuple[Step, ...] = (
    Step(AUTHORIZE, authorize),
    Step(LOAD, load),
    Step(COERCE, coerce),
    Step(CHECK_FIELDS, check_fields),
    Step(FORMULAS, formulas),
    *_BEFORE_HOOKS,
    Step(REFRESH_FORMULAS, refresh_formulas),
    Step(VALIDATE, validate),
    Step(DUPLICATES, before_hooks),
    Step(WRITE, update),
    Step(CHANGE_ROW, change_row),
    *_AFTER_HOOKS,
)
DELETE_STEPS: tuple[Step, ...] = (
    Step(AUTHORIZE, authorize),
    Step(LOAD, load),
    *_BEFORE_HOOKS,
    Step(WRITE, soft_delete),
    Step(CHANGE_ROW, change_row),
    *_AFTER_HOOKS,
)
#: A soft-deleted record made live again (checked like a save; cascade follows after).
RESTORE_STEPS: tuple[Step, ...] = (
    Step(AUTHORIZE, authorize_restore),
    Step(LOAD, load_deleted),
    Step(CHECK_FIELDS, check_restorable),
    Step(FORMULAS, formulas),
    *_BEFORE_HOOKS,
    Step(REFRESH_FORMULAS, refresh_formulas),
    Step(VALIDATE, validate),
    Step(WRITE, write_restore),
    Step(CHANGE_ROW, change_row),
    *_AFTER_HOOKS,
)
#: A rollup stored on its parent: formulas follow, and the parent's own hooks run after.
RECOMPUTE_STEPS: tuple[Step, ...] = (
    Step(AUTHORIZE, authorize),
    Step(LOAD, load_for_recompute),
    Step(FORMULAS, recompute_formulas),
    Step(WRITE, store_recomputed),
    Step(CHANGE_ROW, change_row),
    *_AFTER_HOOKS,
)


def with_lines(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """``steps`` for a parent sent with its lines: they are saved (and the parent's
    rollups stored) right after the parent's write, and the parent's validations run
    after them, on the totals as stored."""
    out = [s for s in steps if s.name != VALIDATE]
    at = next(i for i, s in enumerate(out) if s.name == WRITE) + 1
    return (*out[:at], Step(LINES, save_lines), Step(VALIDATE, validate), *out[at:])


#: A create or update that carries ``lines`` fields.
CREATE_LINES_STEPS = with_lines(CREATE_STEPS)
UPDATE_LINES_STEPS = with_lines(UPDATE_STEPS)
#: Every step name a hook may be bound to.
STEP_NAMES = frozenset(s.name for s in (*CREATE_STEPS, *UPDATE_STEPS, *DELETE_STEPS))


def run_steps(steps: Sequence[Step], save: Save) -> None:
    """Run ``steps`` in order on ``save`` until one refuses or the save is done."""
    event = save.event
    # The saves this one causes explain what they do, not each of their steps.
    marked = save.ctx.depth == 0
    for step in steps:
        if save.done:
            return
        event.step = step.name
        if marked:
            event.explain("step", step.name, "started")
        step.run(save)


__all__ = [
    "AFTER_SAVE_RULES",
    "AUTHORIZE",
    "AUTONUMBER",
    "BEFORE_SAVE_RULES",
    "CHANGE_ROW",
    "CHECK_FIELDS",
    "COERCE",
    "CREATE_LINES_STEPS",
    "CREATE_STEPS",
    "DEFAULTS",
    "DELETE_STEPS",
    "DUPLICATES",
    "FORMULAS",
    "LINES",
    "LOAD",
    "OUTBOX",
    "RECOMPUTE_STEPS",
    "REFRESH_FORMULAS",
    "RESTORE_STEPS",
    "ROLLUPS",
    "ROLLUP_DEFAULTS",
    "STAGE_HISTORY",
    "STEP_NAMES",
    "UPDATE_LINES_STEPS",
    "UPDATE_STEPS",
    "VALIDATE",
    "WORKFLOW_GUARD",
    "WRITE",
    "run_steps",
]
