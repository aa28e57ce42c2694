"""Stable diagnostic codes of rule files (``rules/*.rules``).

Expressions inside a rule keep the expression codes (``RL001`` to ``RL013``);
problems of the rule itself use ``RL1nn``. A code never changes meaning.

======  ===============================================================
code    meaning
======  ===============================================================
RL101   syntax error in a rule file
RL102   unknown entity (with a did-you-mean suggestion)
RL103   unknown field (with a did-you-mean suggestion)
RL104   the field cannot be set by a rule (computed, rollup, autonumber)
RL105   the action is not allowed in this rule's phase or trigger
RL106   two rules have the same name
RL107   invalid time trigger (not a date field, bad amount or cron text)
RL108   a recipient or assignee is not ``owner`` or a user field
RL109   invalid template or webhook address
RL110   a required field of the created entity is not given
RL111   (warning) the rule can re-trigger itself
RL112   unknown workflow transition or role (with a did-you-mean suggestion)
RL113   ``send email`` names no template of ``email_templates/`` (did-you-mean)
RL114   a ``create … as`` binding is used before it is bound, or clashes with a name
RL115   ``for each … matching`` names no filter field of the iterated entity
RL116   ``set owner_id`` is given something that is not a user
======  ===============================================================
"""

from __future__ import annotations

from typing import Final

SYNTAX: Final = "RL101"
UNKNOWN_ENTITY: Final = "RL102"
UNKNOWN_FIELD: Final = "RL103"
NOT_SETTABLE: Final = "RL104"
WRONG_PHASE: Final = "RL105"
DUPLICATE_RULE: Final = "RL106"
BAD_TIMER: Final = "RL107"
BAD_RECIPIENT: Final = "RL108"
BAD_TEMPLATE: Final = "RL109"
MISSING_REQUIRED: Final = "RL110"
RETRIGGER: Final = "RL111"
UNKNOWN_TRANSITION: Final = "RL112"
UNKNOWN_TEMPLATE: Final = "RL113"
BAD_BINDING: Final = "RL114"
BAD_MATCHING: Final = "RL115"
BAD_OWNER: Final = "RL116"

#: code -> one-line meaning, for documentation and the rule editor.
CODES: Final[dict[str, str]] = {
    SYNTAX: "syntax error in a rule file",
    UNKNOWN_ENTITY: "unknown entity",
    UNKNOWN_FIELD: "unknown field",
    NOT_SETTABLE: "field cannot be set by a rule",
    WRONG_PHASE: "action not allowed in this phase or trigger",
    DUPLICATE_RULE: "duplicate rule name",
    BAD_TIMER: "invalid time trigger",
    BAD_RECIPIENT: "recipient is not owner or a user field",
    BAD_TEMPLATE: "invalid template or webhook address",
    MISSING_REQUIRED: "required field of the created record not given",
    RETRIGGER: "rule can re-trigger itself",
    UNKNOWN_TRANSITION: "unknown workflow transition or role",
    UNKNOWN_TEMPLATE: "unknown email template",
    BAD_BINDING: "binding used before it is bound, or clashing with a name",
    BAD_MATCHING: "'for each … matching' names no filter field of the iterated entity",
    BAD_OWNER: "the owner is set to something that is not a user",
}
