"""The trigger-rule save hook: before-save rules set, assign or reject; after-save
rules create records, notify and queue emails and webhooks; time rules plan timers.

Rules are compiled once per compiled app (metadata version). ``changed()`` and
``old()`` see the stored record through ``EvalContext.old``. Every firing is
written to ``_rule_runs`` and explained in dry runs.

A time rule keeps one timer per record while its date field is set and its ``when``
holds: a save that changes the date re-plans it, a save after which the condition
is false (or a delete) cancels it. The job runner fires it (``timers``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, assert_never

from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.pipeline.state import with_old
from trellis.platform.records.values import to_json
from trellis.platform.triggers._store import RuleStore, due_time
from trellis.platform.triggers.actions import AfterActions, Scene, iso
from trellis.platform.triggers.changes import NOBODY, RecordChanger
from trellis.rules.expr import EvalContext
from trellis.rules.triggers import CompiledRule, Phase, check_rules
from trellis.rules.triggers import actions as act

#: Key in ``SaveEvent.scratch`` for before-save runs of a create, waiting for the new id.
PENDING_RUNS = "trigger_runs"
LOG = logging.getLogger("trellis.triggers")
_EVENTS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "restore": "restored",
}


def _with_old(event: SaveEvent) -> EvalContext:
    """The save's expression context with the stored record, for ``old()``/``changed()``."""
    return with_old(event.eval, event.old)


class TriggerHook:
    """Runs the trigger rules of one compiled app on every save."""

    def __init__(self, app: CompiledApp, rules: list[CompiledRule]) -> None:
        self.app = app
        self.store = RuleStore(app)
        self.changer = RecordChanger(app, self.store)
        self.actions = AfterActions(app, self.store)
        self.rules: dict[tuple[str, Phase], list[CompiledRule]] = defaultdict(list)
        self.timers: dict[str, list[CompiledRule]] = defaultdict(list)
        for rule in rules:
            if rule.entity is None:
                continue
            if rule.kind == "time":
                self.timers[rule.entity].append(rule)
            elif rule.kind in ("events", "change"):
                self.rules[(rule.entity, rule.phase)].append(rule)

    # -- matching -----------------------------------------------------------------
    @staticmethod
    def _matches(rule: CompiledRule, event: SaveEvent) -> bool:
        if rule.kind == "events":
            return _EVENTS[event.op] in rule.events
        if event.op == "delete" or rule.field is None:
            return False
        return event.changed(rule.field)

    def _fired(self, rule: CompiledRule, event: SaveEvent, ev: EvalContext) -> bool:
        if not self._matches(rule, event):
            return False
        if rule.when is not None and not rule.when.evaluate(event.record, ev):
            event.explain("rule", rule.name, "condition false")
            return False
        return True

    # -- before save --------------------------------------------------------------
    def before_write(self, event: SaveEvent) -> None:
        """Apply before-save rules: ``set`` and ``assign`` change the record, ``reject`` refuses."""
        rules = self.rules.get((event.entity.name, Phase.BEFORE))
        if not rules:
            return
        ev = _with_old(event)
        fields = event.entity.entity.fields
        runs: list[dict[str, Any]] = []
        for rule in rules:
            if not self._fired(rule, event, ev):
                continue
            changes: dict[str, Any] = {}
            for action in rule.actions:
                match action:
                    case act.RejectAction(message=message):
                        event.explain("rule", rule.name, "rejected", {"__all__": message})
                        raise ValidationFailedError({"__all__": [message]})
                    case act.SetAction() | act.AssignAction():
                        own_id = event.record.get("id") if event.op != "create" else None
                        value = self.changer.value(
                            event.ctx.conn, rule, action, event.entity, event.record, ev, own_id
                        )
                        column = action.column
                        if value is NOBODY:
                            changes[column] = None
                            continue
                        event.record[column] = value
                        changes[column] = to_json(value, fields.get(column))
                    case (
                        act.CreateAction()
                        | act.UpdateAction()
                        | act.NotifyAction()
                        | act.EmailAction()
                        | act.WebhookAction()
                        | act.TransitionAction()
                        | act.EscalateAction()
                    ):
                        pass  # after-save actions: never in a before-save rule (RL105)
                    case _:
                        assert_never(action)
            event.explain("rule", rule.name, "applied", changes)
            record_id = event.record.get("id") if event.op != "create" else None
            runs.append(self.store.run_row(rule, record_id, "applied", changes, event.ctx.now))
        if event.op == "create":
            event.scratch[PENDING_RUNS] = runs  # written once the new record has its id
        else:
            self.store.record_runs(event.ctx.conn, runs)

    # -- after save ---------------------------------------------------------------
    def after_write(self, event: SaveEvent) -> None:
        """Run after-save rules and plan the timers of time rules, in the transaction."""
        name = event.entity.name
        record_id = int(event.record["id"])
        conn, now = event.ctx.conn, event.ctx.now
        pending = event.scratch.pop(PENDING_RUNS, [])
        for row in pending:
            row["record_id"] = record_id
        self.store.record_runs(conn, pending)
        self._plan_timers(event, record_id)
        rules = self.rules.get((name, Phase.AFTER))
        if not rules:
            return
        ev = _with_old(event)
        scene = Scene(event.ctx, event.saver, event.entity, event.record, ev, _EVENTS[event.op])
        runs: list[dict[str, Any]] = []
        for rule in rules:
            if not self._fired(rule, event, ev):
                continue
            changes: dict[str, Any] = {}
            scene.bound.clear()
            for action in rule.actions:
                self.actions.run(scene, rule, action, changes)
            event.explain("rule", rule.name, "applied", changes)
            runs.append(self.store.run_row(rule, record_id, "applied", changes, now))
        self.store.record_runs(conn, runs)

    def _plan_timers(self, event: SaveEvent, record_id: int) -> None:
        """Keep each time rule's timer in step with the record's date and condition."""
        rules = self.timers.get(event.entity.name)
        if not rules:
            return
        conn = event.ctx.conn
        if event.op == "delete":
            self.store.drop_timers(conn, event.entity.name, record_id)
            for rule in rules:
                event.explain("timer", rule.name, "cancelled", {"due_at": None})
            return
        ev = _with_old(event)
        before = EvalContext(ev.now, ev.user_id, ev.resolve, None)
        for rule in rules:
            field = rule.field or ""
            due = due_time(rule, event.record.get(field))
            holds = due is not None and self._holds(rule, event.record, ev)
            if event.old is None and not holds:
                continue  # a new record has no timer to cancel
            if event.old is not None:
                old_due = due_time(rule, event.old.get(field))
                held = old_due is not None and self._holds(rule, event.old, before)
                if (old_due, held) == (due, holds):
                    continue  # neither the date nor the condition moved
            outcome = self.store.sync_timer(conn, rule, record_id, due if holds else None)
            event.explain("timer", rule.name, outcome, {"due_at": iso(due) if holds else None})

    @staticmethod
    def _holds(rule: CompiledRule, record: dict[str, Any], ev: EvalContext) -> bool:
        return rule.when is None or bool(rule.when.evaluate(record, ev))


def trigger_hook(app: CompiledApp) -> TriggerHook | None:
    """The trigger-rule hook of ``app``, or None when it has no rule files.

    Rules that do not compile (a package published before a check existed) are
    skipped and logged; publishing checks them, so this is rare.
    """
    if not app.model.rule_sources:
        return None
    rules, diagnostics = check_rules(app.model)
    for diagnostic in diagnostics:
        LOG.warning("trigger rule problem: %s", diagnostic)
    return TriggerHook(app, rules) if rules else None


__all__ = ["TriggerHook", "trigger_hook"]
