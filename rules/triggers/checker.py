"""Check the rules of one rule file against the app model and compile them.

Every diagnostic is placed at ``path:line:col`` of its rule file. Expressions keep
the expression language's codes; rule problems use ``RL1nn`` (see ``codes``).
``send email "<name>"`` must name a file ``email_templates/<name>.j2`` of the package.
"""

from __future__ import annotations

import re

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from trellis.metadata.diagnostics import Diagnostic, Severity, caret_excerpt, did_you_mean
from trellis.metadata.model import (
    FIELD_TYPES,
    STANDARD_COLUMNS,
    AppModel,
    DslType,
    EntityDef,
    FieldType,
    SourceSpan,
)
from trellis.rules.expr import CompiledExpression, ExpressionError, compile_expression
from trellis.rules.expr.codes import NO_PREVIOUS
from trellis.rules.expr.typed import uses_previous
from trellis.rules.triggers import actions as act
from trellis.rules.triggers import codes
from trellis.rules.triggers import syntax as s
from trellis.rules.triggers.compiled import UNIT_SECONDS, CompiledRule
from trellis.rules.triggers.kinds import BEFORE_ACTIONS, ActionKind, Phase, Strategy
from trellis.rules.triggers.owner import OWNER_COLUMN, owner_ok
from trellis.rules.triggers.retrigger import retrigger_warning
from trellis.rules.triggers.writes import Bindings, create, update

#: Sandboxed, autoescaping Jinja2 environment for notification texts.
TEMPLATES = SandboxedEnvironment(autoescape=True)
_CRON_FIELD = re.compile(r"^(?:\*|[0-9]+(?:-[0-9]+)?)(?:/[0-9]+)?(?:,(?:[0-9]+(?:-[0-9]+)?))*$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_MAX_OFFSET_DAYS = 3650


class FileChecker:
    """Checks the rules of one file; collects diagnostics."""

    def __init__(self, model: AppModel, path: str, source: str) -> None:
        self.model = model
        self.path = path
        self.source = source
        self.diagnostics: list[Diagnostic] = []
        #: The ``create … as`` bindings of the rule being checked.
        self.bindings: Bindings | None = None

    def error(
        self,
        code: str,
        message: str,
        pos: s.Pos,
        suggestion: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                code=code,
                message=message,
                span=SourceSpan(self.path, pos.line, pos.col),
                suggestion=suggestion,
                severity=severity,
                context=caret_excerpt(self.source, pos.line, pos.col),
            )
        )

    def expression(
        self, text: s.ExprText, entity: EntityDef, expected: DslType | None
    ) -> CompiledExpression | None:
        span = SourceSpan(self.path, text.pos.line, text.pos.col)
        try:
            return compile_expression(text.text, entity, self.model, expected=expected, span=span)
        except ExpressionError as err:
            self.diagnostics.extend(err.diagnostics)
            return None

    def entity(self, name: s.Name) -> EntityDef | None:
        if self.model.has_entity(name.text):
            return self.model.entity(name.text)
        self.error(
            codes.UNKNOWN_ENTITY,
            f"Unknown entity '{name.text}'",
            name.pos,
            did_you_mean(name.text, self.model.entities),
        )
        return None

    def field(self, entity: EntityDef, name: s.Name, *, settable: bool) -> DslType | None:
        """The field's expression type, or None after reporting why it cannot be used."""
        f = entity.fields.get(name.text)
        if f is None and settable and name.text == OWNER_COLUMN:
            return DslType.NUMBER  # the owner: ``owner`` checks the value is a user
        if f is None and settable and name.text in STANDARD_COLUMNS:
            self.error(
                codes.NOT_SETTABLE,
                f"'{name.text}' is a standard column kept by the platform; a rule cannot set it",
                name.pos,
            )
            return None
        if f is None:
            self.error(
                codes.UNKNOWN_FIELD,
                f"Unknown field '{name.text}' on entity '{entity.name}'",
                name.pos,
                did_you_mean(name.text, entity.fields),
            )
            return None
        if settable and f.computed:
            self.error(
                codes.NOT_SETTABLE,
                f"Field '{name.text}' of '{entity.name}' is computed "
                f"({'formula' if f.formula else f.type if not f.rollup else 'rollup'}); "
                "a rule cannot set it",
                name.pos,
            )
            return None
        if settable:
            flows = [w for w in self.model.workflows_of(entity.name) if w.field == name.text]
            if flows:
                self.error(
                    codes.NOT_SETTABLE,
                    f"Field '{name.text}' of '{entity.name}' is the state of workflow "
                    f"'{flows[0].name}'; use 'transition <name>' instead of setting it",
                    name.pos,
                )
                return None
        return FIELD_TYPES[f.type].dsl_type

    def recipient(self, entity: EntityDef, name: s.Name, *, email: bool = False) -> bool:
        if name.text == "owner":
            return True
        f = entity.fields.get(name.text)
        allowed = (FieldType.USER, FieldType.EMAIL) if email else (FieldType.USER,)
        if f is not None and f.type in allowed:
            return True
        users = ["owner", *(n for n, fd in entity.fields.items() if fd.type in allowed)]
        self.error(
            codes.BAD_RECIPIENT,
            f"'{name.text}' is not 'owner' or a {' or '.join(allowed)} field of '{entity.name}'",
            name.pos,
            did_you_mean(name.text, users),
        )
        return False

    # -- rules ------------------------------------------------------------------------
    def rule(self, rule: s.RuleSyntax) -> CompiledRule | None:
        trig = rule.trigger
        entity = self.entity(trig.entity) if trig.entity is not None else None
        before = all(a.kind in BEFORE_ACTIONS for a in rule.actions)
        timed = trig.kind == "time" or (trig.kind == "cron" and trig.entity is not None)
        phase = Phase.TIMER if timed else Phase.BEFORE if before else Phase.AFTER
        offset = self.trigger(trig, entity)
        self.bindings = Bindings(rule, entity) if entity is not None else None
        when = None
        if rule.when is not None:
            if trig.entity is None and trig.kind == "cron":
                self.error(
                    codes.WRONG_PHASE, "An 'every' rule has no record to test", rule.when.pos
                )
            elif entity is not None:
                when = self.expression(rule.when, entity, DslType.BOOLEAN)
                when = None if when is None else self.unsaved(trig, when, rule.when.pos)
        actions: list[act.Action | None] = []
        for a in rule.actions:  # the one walk over the actions: compile, then warn
            actions.append(self.action(rule, a, entity, phase))
            warning = retrigger_warning(rule, a, phase)
            if warning is not None:
                self.error(codes.RETRIGGER, warning, a.pos, severity=Severity.WARNING)
        if entity is None and (trig.kind != "cron" or trig.entity is not None):
            return None
        compiled = [a for a in actions if a is not None]
        if len(compiled) != len(actions) or (rule.when is not None and when is None and entity):
            return None
        return CompiledRule(
            name=rule.name,
            path=self.path,
            line=rule.pos.line,
            kind=trig.kind,
            entity=entity.name if entity else None,
            events=trig.events,
            field=trig.field.text if trig.field else None,
            phase=phase,
            when=when,
            actions=tuple(compiled),
            offset_seconds=offset,
            cron=trig.cron,
        )

    def unsaved(
        self, trig: s.Trigger, when: CompiledExpression, pos: s.Pos
    ) -> CompiledExpression | None:
        """A cron rule's ``when`` tests stored records: ``old()``/``changed()`` is RL013."""
        if trig.kind != "cron" or not uses_previous(when.tree):
            return when
        self.error(NO_PREVIOUS, "An 'every' rule tests stored records: no old()/changed()", pos)
        return None

    def trigger(self, trig: s.Trigger, entity: EntityDef | None) -> int:
        if trig.kind == "cron":
            parts = trig.cron.split()
            if len(parts) != 5 or not all(_CRON_FIELD.match(p) for p in parts):
                self.error(
                    codes.BAD_TIMER,
                    f"'{trig.cron}' is not a cron schedule of 5 fields "
                    '(minute hour day month weekday), e.g. "0 8 * * 1"',
                    trig.cron_pos or trig.pos,
                )
            return 0
        if entity is None or trig.field is None:
            return 0
        if trig.kind == "change":
            self.field(entity, trig.field, settable=False)
            return 0
        if trig.kind != "time":
            return 0
        f = entity.fields.get(trig.field.text)
        standard = trig.field.text in ("created_at", "updated_at")
        if f is None and not standard:
            self.field(entity, trig.field, settable=False)
        elif f is not None and FIELD_TYPES[f.type].dsl_type not in (DslType.DATE, DslType.DATETIME):
            self.error(
                codes.BAD_TIMER,
                f"'{trig.field.text}' is a {f.type} field; a time trigger needs a date or datetime",
                trig.field.pos,
            )
        seconds = trig.amount * UNIT_SECONDS[trig.unit]
        if seconds > _MAX_OFFSET_DAYS * 86400:
            self.error(
                codes.BAD_TIMER, f"A time trigger is at most {_MAX_OFFSET_DAYS} days", trig.pos
            )
        return seconds if trig.direction == "after" else -seconds

    def action(
        self, rule: s.RuleSyntax, action: s.Action, entity: EntityDef | None, phase: Phase
    ) -> act.Action | None:
        kind = action.kind
        if phase is Phase.AFTER and kind in BEFORE_ACTIONS:
            self.error(
                codes.WRONG_PHASE,
                f"'{kind}' runs before the save, but this rule also has after-save actions "
                "(create, update, notify, send email, webhook, transition, escalate); "
                "put them in two rules",
                action.pos,
            )
            return None
        trig = rule.trigger
        if (kind in BEFORE_ACTIONS and trig.kind == "cron" and trig.entity is None) or (
            kind is ActionKind.REJECT and trig.kind in ("time", "cron")
        ):
            self.error(
                codes.WRONG_PHASE,
                f"'{kind}' needs a save in progress; a timer rule has none",
                action.pos,
            )
            return None
        changing = (ActionKind.SET, ActionKind.ASSIGN, ActionKind.TRANSITION)
        own = kind is ActionKind.UPDATE and action.link is None and action.through is None
        if (kind in changing or own) and "deleted" in trig.events:
            self.error(
                codes.WRONG_PHASE,
                f"'{kind}' cannot change a record that is being deleted",
                action.pos,
            )
            return None
        if kind is ActionKind.WEBHOOK:
            if not _URL.match(action.text):
                self.error(
                    codes.BAD_TEMPLATE,
                    f"'{action.text}' is not an http(s) address",
                    action.text_pos or action.pos,
                )
                return None
            return act.WebhookAction(action.text)
        if entity is None:
            if trig.kind == "cron" and trig.entity is None:
                self.error(
                    codes.WRONG_PHASE,
                    f"'{kind}' needs a record; an 'every' rule has none",
                    action.pos,
                )
            return None
        return self.record_action(action, entity)

    def record_action(self, action: s.Action, entity: EntityDef) -> act.Action | None:
        target = action.target
        match action.kind:
            case ActionKind.REJECT:
                return act.RejectAction(action.text)
            case ActionKind.SET if target is not None and action.expr is not None:
                typ = self.field(entity, target, settable=True)
                if typ is None:
                    return None
                expr = self.expression(action.expr, entity, typ)
                if target.text == OWNER_COLUMN and not owner_ok(self, expr, action.expr.pos):
                    return None
                return None if expr is None else act.SetAction(target.text, expr)
            case ActionKind.NOTIFY | ActionKind.EMAIL | ActionKind.ASSIGN if target is not None:
                return self.addressed(action, entity, target)
            case ActionKind.CREATE if target is not None and self.bindings is not None:
                return create(self, self.bindings, action, target)
            case ActionKind.UPDATE if self.bindings is not None:
                return update(self, self.bindings, action)
            case ActionKind.TRANSITION if target is not None:
                return self.transition(entity, target)
            case ActionKind.ESCALATE:
                return self.escalate(action)
        return None

    def addressed(
        self, action: s.Action, entity: EntityDef, target: s.Name
    ) -> act.NotifyAction | act.EmailAction | act.AssignAction | None:
        """``notify``, ``send email`` or ``assign``: a recipient (or assignee) and a text."""
        kind = action.kind
        if not self.recipient(entity, target, email=kind is ActionKind.EMAIL):
            return None
        template = None
        if kind is ActionKind.NOTIFY:
            try:
                template = TEMPLATES.from_string(action.text)
            except TemplateSyntaxError as err:
                self.error(
                    codes.BAD_TEMPLATE,
                    f"Notification text: {err.message}",
                    action.text_pos or action.pos,
                )
                return None
        if not action.text.strip():
            self.error(codes.BAD_TEMPLATE, f"'{kind}' needs a non-empty text", action.pos)
            return None
        if kind is ActionKind.EMAIL:
            ok = self.email_template(action)
            return act.EmailAction(template=action.text, recipient=target.text) if ok else None
        if template is not None:
            return act.NotifyAction(recipient=target.text, text=action.text, template=template)
        strategy = action.strategy or Strategy.ROUND_ROBIN
        known = all(
            self.field(entity, name, settable=False) is not None
            for name in (action.team_field, action.matching)
            if name is not None
        )
        if not known:
            return None
        return act.AssignAction(
            field=target.text,
            role=action.text,
            strategy=strategy,
            team=action.team_text,
            team_field=action.team_field.text if action.team_field else None,
            matching=action.matching.text if action.matching else None,
        )

    def email_template(self, action: s.Action) -> bool:
        """Whether ``send email "<name>"`` names a template of the package."""
        known = self.model.email_templates
        if action.text in known:
            return True
        self.error(
            codes.UNKNOWN_TEMPLATE,
            f"No email template '{action.text}': add email_templates/{action.text}.j2 "
            "to the package",
            action.text_pos or action.pos,
            did_you_mean(action.text, known),
        )
        return False

    def transition(self, entity: EntityDef, target: s.Name) -> act.TransitionAction | None:
        names = [t.name for w in self.model.workflows_of(entity.name) for t in w.transitions]
        if target.text in names:
            return act.TransitionAction(target.text)
        where = f"the workflows of '{entity.name}'" if names else f"'{entity.name}' (no workflow)"
        self.error(
            codes.UNKNOWN_TRANSITION,
            f"Unknown transition '{target.text}' in {where}",
            target.pos,
            did_you_mean(target.text, names),
        )
        return None

    def escalate(self, action: s.Action) -> act.EscalateAction | None:
        role = action.text
        known = ["admin", *self.model.roles]
        if role in known:
            return act.EscalateAction(role)
        self.error(
            codes.UNKNOWN_TRANSITION,
            f"Unknown role '{role}'",
            action.text_pos or action.pos,
            did_you_mean(role, known),
        )
        return None


__all__ = ["TEMPLATES", "FileChecker"]
