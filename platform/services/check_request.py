"""The body of ``POST /t/{t}/api/_check`` (rule-editor support), read and answered.

Body: ``{"source": "...", "kind": "expression" | "rule", "entity": "...",
"cursor": 12 | {"line": 2, "column": 5}, "expected": "boolean"}``. ``kind`` defaults
to ``expression``, which needs ``entity`` (and checks against ``expected``, default
boolean); a ``rule`` source is a whole rule file and names its entities itself.
``cursor`` is a character offset or a 1-based line and column (default: the end).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trellis.metadata.model import AppModel, DslType, EntityDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.errors import BadRequestError
from trellis.rules.editor import EditorReport, check_source, cursor_offset
from trellis.rules.editor.rule_files import check_rule_file

KINDS = ("expression", "rule")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_cursor(source: str, cursor: Any) -> int | None:
    """The cursor as a character offset (None: the end).

    Raises:
        BadRequestError: not an offset nor ``{"line", "column"}`` whole numbers from 1.
    """
    if cursor is None:
        return None
    if _whole(cursor) and cursor >= 0:
        return int(cursor)
    if isinstance(cursor, dict) and set(cursor) == {"line", "column"}:
        line, column = cursor["line"], cursor["column"]
        if _whole(line) and _whole(column) and line >= 1 and column >= 1:
            return cursor_offset(source, int(line), int(column))
    raise BadRequestError(
        '\'cursor\' is a character offset or {"line": L, "column": C} (1-based).',
        {"cursor": ["Must be a whole number or an object with a line and a column from 1."]},
    )


def _expected(name: Any) -> DslType | None:
    if name is None:
        return None
    try:
        return DslType(name)
    except ValueError:
        choices = ", ".join(t.value for t in DslType)
        raise BadRequestError(
            "Unknown expected type.", {"expected": [f"Use one of: {choices}."]}
        ) from None


def run_check(
    model: AppModel, body: dict[str, Any], entity_of: Callable[[str], EntityDef]
) -> dict[str, Any]:
    """Answer a ``_check`` body; ``entity_of`` finds an entity (or raises 404/403).

    Raises:
        BadRequestError: a missing source, unknown kind, bad cursor or expected type.
    """
    source = body.get("source")
    kind = body.get("kind", "expression")
    if kind not in KINDS:
        raise BadRequestError(
            Translatable("Parameter 'kind' has value '%(value)s'.", value=kind),
            {"kind": [Translatable("Use 'expression' or 'rule'.")]},
        )
    if not isinstance(source, str):
        raise BadRequestError(
            f"Send the {kind} text as 'source'.", {"source": ["This field is required."]}
        )
    report: EditorReport
    if kind == "rule":
        report = check_rule_file(source, model, cursor=read_cursor(source, body.get("cursor")))
    else:
        entity = entity_of(str(body.get("entity", "")))
        cursor = read_cursor(source, body.get("cursor"))
        expected = _expected(body.get("expected", "boolean"))
        report = check_source(source, entity, model, cursor=cursor, expected=expected)
    return {"kind": kind, **report.as_json()}


__all__ = ["KINDS", "read_cursor", "run_check"]
