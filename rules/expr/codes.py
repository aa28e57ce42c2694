"""Stable diagnostic codes of the expression language.

A code never changes meaning once released; new problems get new codes.

======  ===============================================================
code    meaning
======  ===============================================================
RL001   syntax error (the message is a label such as "Unclosed parenthesis")
RL002   unknown field (with a did-you-mean suggestion)
RL003   operand types do not fit the operator (e.g. text + number)
RL004   unknown function (with a did-you-mean suggestion)
RL005   wrong number of arguments for a function
RL006   the expression's result type is not the expected one
RL007   comparison with empty/null: write ``x is empty`` instead
RL008   an argument of a function has the wrong type
RL009   a path navigates through a field that is not a reference
RL010   a text value is not an option of the enum field it is compared with
RL011   invalid literal (a date, datetime or argument that must be a literal)
RL012   the expression is nested too deeply
RL013   ``old()``/``changed()`` used where no stored record exists (a filter, SQL)
RL014   ``business_hours_between()`` names a calendar the package does not declare
RL015   a function with no SQL form (``business_hours_between()``) used in a filter or query
RL016   the branches of ``if()`` have different types (or money in different currencies)
RL017   an ``encrypted: true`` field used other than by ``==``/``!=`` or ``is empty`` (filters)
RL099   internal error while checking an expression (a bug; please report)
======  ===============================================================
"""

from __future__ import annotations

from typing import Final

SYNTAX: Final = "RL001"
UNKNOWN_FIELD: Final = "RL002"
TYPE_MISMATCH: Final = "RL003"
UNKNOWN_FUNCTION: Final = "RL004"
ARGUMENT_COUNT: Final = "RL005"
RESULT_TYPE: Final = "RL006"
COMPARE_EMPTY: Final = "RL007"
ARGUMENT_TYPE: Final = "RL008"
NOT_A_REFERENCE: Final = "RL009"
UNKNOWN_OPTION: Final = "RL010"
INVALID_LITERAL: Final = "RL011"
TOO_DEEP: Final = "RL012"
NO_PREVIOUS: Final = "RL013"
UNKNOWN_CALENDAR: Final = "RL014"
NO_SQL_FORM: Final = "RL015"
BRANCH_TYPE: Final = "RL016"
#: Raised by the platform (platform/records/encrypted_filter.py), listed here to reserve it.
ENCRYPTED_FILTER: Final = "RL017"
INTERNAL: Final = "RL099"

#: code -> one-line meaning, for documentation and the rule editor.
CODES: Final[dict[str, str]] = {
    SYNTAX: "syntax error",
    UNKNOWN_FIELD: "unknown field",
    TYPE_MISMATCH: "operand types do not fit the operator",
    UNKNOWN_FUNCTION: "unknown function",
    ARGUMENT_COUNT: "wrong number of arguments",
    RESULT_TYPE: "wrong result type",
    COMPARE_EMPTY: "comparison with empty; use 'is empty'",
    ARGUMENT_TYPE: "wrong argument type",
    NOT_A_REFERENCE: "path through a field that is not a reference",
    UNKNOWN_OPTION: "value is not an option of the enum field",
    INVALID_LITERAL: "invalid literal",
    TOO_DEEP: "expression nested too deeply",
    NO_PREVIOUS: "old()/changed() only work in rules run on a save",
    UNKNOWN_CALENDAR: "unknown business-hours calendar",
    NO_SQL_FORM: "function not usable in filters or queries",
    BRANCH_TYPE: "the branches of if() have different types",
    ENCRYPTED_FILTER: "an encrypted field is used other than by exact match",
    INTERNAL: "internal error",
}
