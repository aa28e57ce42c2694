"""Rules that can re-trigger themselves: ``RL111`` warnings, never errors."""

from __future__ import annotations

from typing import Protocol

from trellis.metadata.diagnostics import Severity
from trellis.rules.triggers import codes
from trellis.rules.triggers import syntax as s
from trellis.rules.triggers.compiled import AFTER


class Reporter(Protocol):
    """Where the warnings go (the rule file checker)."""

    def error(
        self,
        code: str,
        message: str,
        pos: s.Pos,
        suggestion: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Record a diagnostic at ``pos``."""


def retrigger(checker: Reporter, rule: s.RuleSyntax, phase: str) -> None:
    """Warn (``RL111``) where a rule's actions can fire its own trigger again."""
    trig = rule.trigger
    if trig.entity is None:
        return
    for action in rule.actions:
        target = action.target.text if action.target else None
        if trig.kind == "change" and trig.field is not None:
            watched = trig.field.text
            hit = (action.kind == "set" and target == watched) or (
                action.kind == "assign" and target == watched
            )
            if hit:
                checker.error(
                    codes.RETRIGGER,
                    f"Rule '{rule.name}' sets '{watched}', the field its trigger watches: "
                    "it can re-trigger itself",
                    action.pos,
                    severity=Severity.WARNING,
                )
        if (
            phase == AFTER
            and action.kind == "create"
            and target == trig.entity.text
            and "created" in trig.events
        ):
            checker.error(
                codes.RETRIGGER,
                f"Rule '{rule.name}' creates a '{target}' when a '{target}' is created: "
                "it can re-trigger itself",
                action.pos,
                severity=Severity.WARNING,
            )
        if phase == AFTER and action.kind == "transition" and "updated" in trig.events:
            checker.error(
                codes.RETRIGGER,
                f"Rule '{rule.name}' runs transition '{target}' when a "
                f"'{trig.entity.text}' is updated; the transition is an update too: "
                "it can re-trigger itself",
                action.pos,
                severity=Severity.WARNING,
            )
        if (
            trig.kind == "time"
            and action.kind == "set"
            and trig.field is not None
            and target == trig.field.text
        ):
            checker.error(
                codes.RETRIGGER,
                f"Rule '{rule.name}' sets '{target}', the date its timer counts from: "
                "each firing plans the next one",
                action.pos,
                severity=Severity.WARNING,
            )


__all__ = ["Reporter", "retrigger"]
