"""The trigger-rule save hook: before-save rules set, assign or reject; after-save
rules create records, notify and queue emails and webhooks; time rules plan timers.

Rules are compiled once per compiled app (metadata version). ``changed()`` and
``old()`` see the stored record through ``EvalContext.old``. Every firing is
written to ``_rule_runs`` and explained in dry runs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from trellis.metadata.model import FIELD_TYPES, FieldDef
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import ConflictError, RecordError, ValidationFailedError
from trellis.platform.records.hooks import SaveEvent
from trellis.platform.records.service import MAX_CHAIN_DEPTH, SaveContext
from trellis.platform.records.values import to_decimal, to_json
from trellis.platform.triggers._store import RuleStore
from trellis.platform.triggers.members import member_lookup
from trellis.platform.workflows.runner import WorkflowRunner
from trellis.rules.expr import EvalContext
from trellis.rules.triggers import AFTER, BEFORE, CompiledAction, CompiledRule, check_rules

#: Key in ``SaveEvent.scratch`` for before-save runs of a create, waiting for the new id.
PENDING_RUNS = "trigger_runs"
LOG = logging.getLogger("trellis.triggers")
_EVENTS = {"create": "created", "update": "updated", "delete": "deleted"}


def _fit(f: FieldDef, value: Any) -> Any:
    """Fit an expression value to the stored form of field ``f``."""
    if value is None:
        return None
    if FIELD_TYPES[f.type].decimal:
        return to_decimal(value, f)
    if f.type in ("integer", "user", "reference") and not isinstance(value, bool):
        return int(value)
    return value


def _with_old(event: SaveEvent) -> EvalContext:
    """The save's expression context with the stored record, for ``old()``/``changed()``.

    Built directly (not with ``dataclasses.replace``): this runs twice per save.
    """
    ev = event.eval
    if ev.old is event.old:
        return ev
    return EvalContext(ev.now, ev.user_id, ev.resolve, event.old)


def _json_record(event: SaveEvent) -> dict[str, Any]:
    fields = event.entity.entity.fields
    return {k: to_json(v, fields.get(k)) for k, v in event.record.items()}


class TriggerHook:
    """Runs the trigger rules of one compiled app on every save."""

    def __init__(self, app: CompiledApp, rules: list[CompiledRule]) -> None:
        self.app = app
        self.store = RuleStore(app)
        self.rules: dict[tuple[str, str], list[CompiledRule]] = defaultdict(list)
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
        rules = self.rules.get((event.entity.name, BEFORE))
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
                if action.kind == "reject":
                    event.explain("rule", rule.name, "rejected", {"__all__": action.text})
                    raise ValidationFailedError({"__all__": [action.text]})
                column = "owner_id" if action.target == "owner" else action.target or ""
                if action.kind == "set" and action.expr is not None:
                    value = _fit(fields[column], action.expr.evaluate(event.record, ev))
                elif action.kind == "assign":
                    picked = self._round_robin(event.ctx, rule, action)
                    if picked is None:
                        changes[column] = None
                        continue
                    value = picked
                else:
                    continue
                event.record[column] = value
                changes[column] = to_json(value, fields.get(column))
            event.explain("rule", rule.name, "applied", changes)
            record_id = event.record.get("id") if event.op != "create" else None
            runs.append(self.store.run_row(rule, record_id, "applied", changes, event.ctx.now))
        if event.op == "create":
            event.scratch[PENDING_RUNS] = runs  # written once the new record has its id
        else:
            self.store.record_runs(event.ctx.conn, runs)

    def _round_robin(
        self, ctx: SaveContext, rule: CompiledRule, action: CompiledAction
    ) -> int | None:
        lookup = member_lookup(self.app)
        members = sorted(lookup(action.text)) if lookup is not None else []
        if not members:
            LOG.info("rule %r: no member has role %r", rule.name, action.text)
            return None
        turn = self.store.next_turn(ctx.conn, f"rr:{rule.name}"[:100])
        return members[turn % len(members)]

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
        rules = self.rules.get((name, AFTER))
        if not rules:
            return
        ev = _with_old(event)
        runs: list[dict[str, Any]] = []
        for rule in rules:
            if not self._fired(rule, event, ev):
                continue
            changes: dict[str, Any] = {}
            for action in rule.actions:
                self._after_action(event, ev, rule, action, record_id, changes)
            event.explain("rule", rule.name, "applied", changes)
            runs.append(self.store.run_row(rule, record_id, "applied", changes, now))
        self.store.record_runs(conn, runs)

    def _after_action(
        self,
        event: SaveEvent,
        ev: EvalContext,
        rule: CompiledRule,
        action: CompiledAction,
        record_id: int,
        changes: dict[str, Any],
    ) -> None:
        conn, now = event.ctx.conn, event.ctx.now
        if action.kind == "create":
            changes[f"create {action.target}"] = self._create(event, ev, rule, action)
            return
        if action.kind == "transition":
            changes[f"transition {action.target}"] = self._transition(event, rule, action)
            return
        if action.kind == "escalate":
            changes[f"escalate {action.text}"] = self._escalate(event, rule, action, record_id)
            return
        payload: dict[str, Any] = {"rule": rule.name, "entity": rule.entity, "record_id": record_id}
        if action.kind == "webhook":
            payload.update(url=action.text, event=_EVENTS[event.op], record=_json_record(event))
            self.store.enqueue(conn, "webhook", payload, now)
            changes["webhook"] = action.text
            return
        recipient = self._recipient(event, action.target)
        if action.kind == "email":
            payload.update(template=action.text, to=recipient, record=_json_record(event))
            self.store.enqueue(conn, "email", payload, now)
            changes["send email"] = action.text
        elif action.kind == "notify" and action.template is not None:
            if not isinstance(recipient, int):
                changes["notify"] = None
                return
            fields = _json_record(event)
            text = action.template.render({**fields, "record": fields, "at": _iso(now)})
            self.store.notify(conn, recipient, text, rule, record_id, now)
            changes["notify"] = recipient

    @staticmethod
    def _recipient(event: SaveEvent, target: str | None) -> Any:
        column = "owner_id" if target in (None, "owner") else str(target)
        return event.record.get(column)

    def _create(
        self, event: SaveEvent, ev: EvalContext, rule: CompiledRule, action: CompiledAction
    ) -> int | None:
        ctx, service = event.ctx, event.service
        target = self.app.entities.get(action.target or "")
        if service is None or target is None:
            return None
        if ctx.depth >= MAX_CHAIN_DEPTH:
            raise ConflictError(
                f"Trigger rules chained more than {MAX_CHAIN_DEPTH} saves (rule '{rule.name}' "
                f"creating a {target.name}); check for rules that trigger each other. "
                "Nothing was saved."
            )
        fields = target.entity.fields
        data = {
            name: to_json(expr.evaluate(event.record, ev), fields.get(name))
            for name, expr in action.items
        }
        ctx.depth += 1
        try:
            created = service.create(ctx, target, data)
        except ValidationFailedError as err:
            problems = "; ".join(f"{k}: {', '.join(v)}" for k, v in err.errors.items())
            raise ValidationFailedError(
                {"__all__": [f"Rule '{rule.name}' could not create a {target.name}: {problems}"]}
            ) from None
        finally:
            ctx.depth -= 1
        return int(created["id"])

    def _transition(self, event: SaveEvent, rule: CompiledRule, action: CompiledAction) -> str:
        """Run the named workflow transition on the saved record, with the same checks.

        A refused transition refuses the whole save (409 with the reason).
        """
        ctx, service, name = event.ctx, event.service, action.target or ""
        if service is None:
            return "skipped"
        if ctx.depth >= MAX_CHAIN_DEPTH:
            raise ConflictError(
                f"Trigger rules chained more than {MAX_CHAIN_DEPTH} saves (rule '{rule.name}' "
                f"running transition '{name}'); check for rules that trigger each other. "
                "Nothing was saved."
            )
        record_id = int(event.record["id"])
        ctx.depth += 1
        try:
            result = WorkflowRunner(service).run(ctx, event.entity, record_id, name, {}, None)
        except RecordError as err:
            reason = "; ".join(m for ms in err.errors.values() for m in ms) or err.message
            raise ConflictError(
                f"Rule '{rule.name}' could not run transition '{name}': {reason}"
            ) from None
        finally:
            ctx.depth -= 1
        # The response shows the record as the transition left it.
        event.record.update(result.record)
        return "approval requested" if result.approval is not None else "done"

    def _escalate(
        self, event: SaveEvent, rule: CompiledRule, action: CompiledAction, record_id: int
    ) -> list[int]:
        """Notify every member of the tenant with the role; the ids notified."""
        lookup = member_lookup(self.app)
        members = sorted(lookup(action.text)) if lookup is not None else []
        if not members:
            LOG.info("rule %r: no member has role %r to escalate to", rule.name, action.text)
        entity = event.entity.entity
        title = event.record.get(entity.title) if entity.title else None
        text = f"Escalated by rule '{rule.name}': {entity.label} {title or f'#{record_id}'}"
        for user_id in members:
            self.store.notify(event.ctx.conn, user_id, text, rule, record_id, event.ctx.now)
        return members

    def _plan_timers(self, event: SaveEvent, record_id: int) -> None:
        rules = self.timers.get(event.entity.name)
        if event.op == "delete":
            if rules:
                self.store.drop_timers(event.ctx.conn, event.entity.name, record_id)
            return
        for rule in rules or ():
            if rule.field is None or not event.changed(rule.field):
                continue
            due = self.store.plan_timer(
                event.ctx.conn, rule, record_id, event.record.get(rule.field)
            )
            event.explain(
                "timer",
                rule.name,
                "planned" if due else "cleared",
                {"due_at": _iso(due) if due else None},
            )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else to_json(value, None)


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
