"""The names rule files use for phases, actions and assignment strategies.

Each is a ``StrEnum`` whose values are the spellings of the rule language, so a
member compares equal to (and serialises as) the text it stands for.
"""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    """When a rule runs: before the write, after it, or when its timer is due."""

    BEFORE = "before"
    AFTER = "after"
    #: Time rules: run by the job runner when their timer is due, outside any save.
    TIMER = "timer"


class ActionKind(StrEnum):
    """The actions of a rule's ``then`` block, as ``rules.lark`` names them."""

    SET = "set"
    REJECT = "reject"
    ASSIGN = "assign"
    CREATE = "create"
    NOTIFY = "notify"
    EMAIL = "email"
    WEBHOOK = "webhook"
    TRANSITION = "transition"
    ESCALATE = "escalate"
    UPDATE = "update"


class Strategy(StrEnum):
    """How ``assign <field> <strategy>("role")`` picks among the role's members."""

    ROUND_ROBIN = "round_robin"
    LOAD_BALANCED = "load_balanced"


#: Actions allowed in a before-save rule.
BEFORE_ACTIONS = frozenset({ActionKind.SET, ActionKind.REJECT, ActionKind.ASSIGN})

__all__ = ["BEFORE_ACTIONS", "ActionKind", "Phase", "Strategy"]
