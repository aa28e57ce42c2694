"""Rules that can re-trigger themselves: ``RL111`` warnings, never errors.

The checker asks once per action while it walks a rule's actions.
"""

from __future__ import annotations

from trellis.rules.triggers import syntax as s
from trellis.rules.triggers.kinds import ActionKind, Phase


def retrigger_warning(rule: s.RuleSyntax, action: s.Action, phase: Phase) -> str | None:
    """Why ``action`` can fire ``rule``'s own trigger again (an ``RL111`` message), or None."""
    trig = rule.trigger
    if trig.entity is None:
        return None
    target = action.target.text if action.target else None
    watched = trig.field.text if trig.field else None
    after = phase is Phase.AFTER
    match action.kind:
        case ActionKind.SET | ActionKind.ASSIGN if trig.kind == "change" and target == watched:
            return (
                f"Rule '{rule.name}' sets '{watched}', the field its trigger watches: "
                "it can re-trigger itself"
            )
        case ActionKind.SET if trig.kind == "time" and target == watched:
            return (
                f"Rule '{rule.name}' sets '{target}', the date its timer counts from: "
                "each firing plans the next one"
            )
        case ActionKind.CREATE if (
            after and target == trig.entity.text and ("created" in trig.events)
        ):
            return (
                f"Rule '{rule.name}' creates a '{target}' when a '{target}' is created: "
                "it can re-trigger itself"
            )
        case ActionKind.UPDATE if (
            action.link is None
            and action.through is None
            and (
                "updated" in trig.events
                or (trig.kind == "change" and watched in {n.text for n, _ in action.items})
            )
        ):
            return (
                f"Rule '{rule.name}' updates the '{trig.entity.text}' that fired it: "
                "it can re-trigger itself"
            )
        case ActionKind.TRANSITION if after and "updated" in trig.events:
            return (
                f"Rule '{rule.name}' runs transition '{target}' when a "
                f"'{trig.entity.text}' is updated; the transition is an update too: "
                "it can re-trigger itself"
            )
    return None


__all__ = ["retrigger_warning"]
