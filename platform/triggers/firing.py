"""Fire a due time rule (``after|before N … from <date field>``) on its record.

The job runner calls :meth:`TimerFiring.fire` inside the transaction that claimed
the timer. The rule's ``when`` is checked again on the record as it is now; when it
holds, every action runs: ``set`` and ``assign`` change the record through the save
pipeline (one update, validations and the entity's other rules included), then the
others run in order as after a save (create, transition, escalate, notify, send
email, webhook). The timer acts as the system principal (no user, every role).

The actions of one firing share a savepoint: when one is refused (a validation, a
refused transition, the chain depth limit) none of them is kept, and the run is
recorded as ``failed`` with the reason. Each firing writes one ``_rule_runs`` row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.principal import System
from trellis.platform.records.service import RecordService, SaveContext
from trellis.platform.records.values import to_json
from trellis.platform.triggers._store import RuleStore
from trellis.platform.triggers.actions import AfterActions, Scene
from trellis.platform.triggers.changes import NOBODY, RecordChanger
from trellis.rules.expr import EvalContext
from trellis.rules.triggers import AssignAction, CompiledRule, SetAction

#: The principal a timer saves as.
TIMER = System("timer")
#: The roles a timer acts with.
SYSTEM_ROLES = TIMER.roles


def _reason(err: RecordError) -> str:
    messages = [f"{k}: {m}" if k != "__all__" else m for k, ms in err.errors.items() for m in ms]
    return "; ".join(messages) or err.message


class TimerFiring:
    """Runs due time rules of one compiled app with a record service (and its hooks)."""

    def __init__(self, app: CompiledApp, service: RecordService) -> None:
        self.app = app
        self.service = service
        self.store = RuleStore(app)
        self.changer = RecordChanger(app, self.store)
        self.actions = AfterActions(app, self.store)

    def fire(
        self, conn: sa.Connection, rule: CompiledRule, record_id: int, now: datetime
    ) -> str | None:
        """Fire ``rule`` on record ``record_id``; the run's outcome (None: record gone)."""
        entity = self.app.entities.get(rule.entity or "")
        if entity is None:
            return None
        ctx = SaveContext(conn, TIMER, now)
        record = self.service.get(conn, entity, record_id)
        if record is None:
            return None
        ev = self.service.eval_context(ctx)
        changes: dict[str, Any] = {}
        if rule.when is not None and not rule.when.evaluate(record, ev):
            outcome = "condition false"
        else:
            try:
                with conn.begin_nested():
                    self._run(ctx, entity, rule, record, ev, changes)
                outcome = "applied"
            except RecordError as err:
                outcome, changes = "failed", {"error": _reason(err)}
        run = self.store.run_row(rule, record_id, outcome, changes, now)
        self.store.record_runs(conn, [run])
        return outcome

    def _run(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        rule: CompiledRule,
        record: dict[str, Any],
        ev: EvalContext,
        changes: dict[str, Any],
    ) -> None:
        record = self._change_record(ctx, entity, rule, record, ev, changes)
        scene = Scene(ctx, self.service, entity, record, ev, "timer")
        for action in rule.actions:
            self.actions.run(scene, rule, action, changes)  # set and assign: done above

    def _change_record(
        self,
        ctx: SaveContext,
        entity: CompiledEntity,
        rule: CompiledRule,
        record: dict[str, Any],
        ev: EvalContext,
        changes: dict[str, Any],
    ) -> dict[str, Any]:
        """Apply the ``set`` and ``assign`` actions as one update; the saved record."""
        fields = entity.entity.fields
        working = dict(record)
        data: dict[str, Any] = {}
        record_id = int(record["id"])
        for action in rule.actions:
            if not isinstance(action, SetAction | AssignAction):
                continue
            column = action.column
            value = self.changer.value(ctx.conn, rule, action, entity, working, ev, record_id)
            if value is NOBODY:
                changes[column] = None
                continue
            working[column] = value
            data[column] = to_json(value, fields.get(column))
        if not data:
            return record
        saved = self.service.update(ctx, entity, int(record["id"]), data, None)
        changes.update(data)
        return saved


__all__ = ["SYSTEM_ROLES", "TimerFiring"]
