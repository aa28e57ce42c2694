"""The actions that run after a write: create, transition, escalate, notify, email, webhook.

The save hook runs them after the record is written; the timer runner runs them when
a time rule is due. Both hand over a :class:`Scene` (the record and its transaction).
Records created and transitions run go through the save pipeline (the ``Saver``), as
the system on behalf of the save that fired the rule, so their own rules run too, up
to ``MAX_CHAIN_DEPTH`` chained saves; past it the whole transaction is refused (409)
and nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any, assert_never

from trellis.metadata.model.local_text import DEFAULT_LOCALE, Translatable
from trellis.platform.i18n import Translator
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.errors import ConflictError, RecordError
from trellis.platform.records.save_context import MAX_CHAIN_DEPTH, chained
from trellis.platform.triggers._store import RuleStore
from trellis.platform.triggers.members import member_lookup
from trellis.platform.triggers.scene import Scene, iso
from trellis.platform.triggers.writes import RecordWrites
from trellis.platform.workflows.runner import WorkflowRunner
from trellis.rules.triggers import CompiledRule
from trellis.rules.triggers import actions as act

LOG = logging.getLogger("trellis.triggers")


def _too_deep(rule: CompiledRule, doing: str) -> str:
    return (
        f"Trigger rules chained more than {MAX_CHAIN_DEPTH} saves (rule '{rule.name}' "
        f"{doing}); check for rules that trigger each other. Nothing was saved."
    )


class AfterActions:
    """Runs the after-write actions of the rules of one compiled app."""

    def __init__(self, app: CompiledApp, store: RuleStore) -> None:
        self.app = app
        self.store = store
        self.writes = RecordWrites(app)

    def run(
        self, scene: Scene, rule: CompiledRule, action: act.Action, changes: dict[str, Any]
    ) -> None:
        """Run ``action``; note what it did in ``changes`` (recorded in ``_rule_runs``).

        ``set``, ``assign`` and ``reject`` change or refuse the record itself: the save
        hook and the timer apply them before the others, so they do nothing here.
        """
        match action:
            case act.CreateAction(entity=entity, each=str(each)):
                changes[f"create {entity} for each {each}"] = self.writes.create_each(
                    scene, rule, action
                )
            case act.CreateAction(entity=entity, binding=None):
                changes[f"create {entity}"] = self.writes.create(scene, rule, action)
            case act.CreateAction(entity=entity, binding=name):
                changes[f"create {entity} as {name}"] = self.writes.create(scene, rule, action)
            case act.UpdateAction(entity=None):
                self.writes.update(scene, rule, action)
                changes["update"] = {name: scene.record.get(name) for name, _ in action.values}
            case act.UpdateAction(through=str() as through):
                changes[f"update {through}"] = self.writes.update(scene, rule, action)
            case act.UpdateAction(entity=entity, link=link):
                changes[f"update {entity}.{link}"] = self.writes.update(scene, rule, action)
            case act.TransitionAction(name=name):
                changes[f"transition {name}"] = self.transition(scene, rule, action)
            case act.EscalateAction(role=role):
                changes[f"escalate {role}"] = self.escalate(scene, rule, action)
            case act.WebhookAction(url=url) if not scene.ctx.side_effects:
                changes["webhook"] = f"{url} (not sent: side effects off)"
            case act.EmailAction(template=template) if not scene.ctx.side_effects:
                changes["send email"] = f"{template} (not sent: side effects off)"
            case act.WebhookAction(url=url):
                payload = self._payload(scene, rule)
                payload.update(url=url, event=scene.event, record=scene.json_record())
                self.store.enqueue(scene.ctx.conn, "webhook", payload, scene.ctx.now)
                changes["webhook"] = url
            case act.EmailAction(template=template):
                payload = self._payload(scene, rule)
                recipient = scene.record.get(act.recipient_column(action.recipient))
                payload.update(template=template, to=recipient, record=scene.json_record())
                self.store.enqueue(scene.ctx.conn, "email", payload, scene.ctx.now)
                changes["send email"] = template
            case act.NotifyAction():
                changes["notify"] = self.notify(scene, rule, action)
            case act.SetAction() | act.AssignAction() | act.RejectAction():
                pass
            case _:
                assert_never(action)

    @staticmethod
    def _payload(scene: Scene, rule: CompiledRule) -> dict[str, Any]:
        return {"rule": rule.name, "entity": rule.entity, "record_id": scene.record_id}

    def notify(self, scene: Scene, rule: CompiledRule, action: act.NotifyAction) -> int | None:
        """Leave the rendered text for the recipient; their id (None: the field is empty)."""
        recipient = scene.record.get(act.recipient_column(action.recipient))
        if not isinstance(recipient, int):
            return None
        now, fields = scene.ctx.now, scene.json_record()
        text = action.template.render({**fields, "record": fields, "at": iso(now)})
        self.store.notify(scene.ctx.conn, recipient, text, rule, scene.record_id, now)
        return recipient

    def transition(self, scene: Scene, rule: CompiledRule, action: act.TransitionAction) -> str:
        """Run the named workflow transition on the record, with the same checks.

        A refused transition refuses the whole save (409 with the reason).
        """
        ctx, saver, name = scene.ctx, scene.saver, action.name
        if saver is None:
            return "skipped"
        runner = WorkflowRunner(self.app, saver)
        with chained(ctx, "rule", lambda: _too_deep(rule, f"running transition '{name}'")):
            try:
                result = runner.run(ctx, scene.entity, scene.record_id, name, {}, None)
            except RecordError as err:
                raise ConflictError(
                    Translatable(
                        "Rule '%(rule)s' could not run transition '%(name)s': %(reason)s",
                        rule=rule.name,
                        name=name,
                        reason=_reason(err),
                    )
                ) from None
        # The caller (and the API response) sees the record as the transition left it.
        scene.record.update(result.record)
        return "approval requested" if result.approval is not None else "done"

    def escalate(self, scene: Scene, rule: CompiledRule, action: act.EscalateAction) -> list[int]:
        """Notify every member of the tenant with the role; the ids notified."""
        lookup = member_lookup(self.app)
        members = sorted(lookup(action.role)) if lookup is not None else []
        if not members:
            LOG.info("rule %r: no member has role %r to escalate to", rule.name, action.role)
        entity, record_id = scene.entity.entity, scene.record_id
        title = scene.record.get(entity.title) if entity.title else None
        # Written once for every recipient, in the organisation's language (``locale:``).
        text = Translator(self.app.model.locale or DEFAULT_LOCALE).message(
            Translatable(
                "Escalated by rule '%(rule)s': %(entity)s %(title)s",
                rule=rule.name,
                entity=entity.label,
                title=title or f"#{record_id}",
            )
        )
        for user_id in members:
            self.store.notify(scene.ctx.conn, user_id, text, rule, record_id, scene.ctx.now)
        return members


def _reason(err: RecordError) -> str:
    """A refusal's messages joined (one message stays translatable)."""
    messages = [m for ms in err.errors.values() for m in ms]
    if len(messages) == 1:
        return messages[0]
    return "; ".join(messages) or err.message


__all__ = ["AfterActions", "Scene", "iso"]
