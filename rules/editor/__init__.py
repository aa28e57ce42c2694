"""Editor support: check an expression or a rule file and say what may come at the cursor.

Lark's interactive parser is fed the text before the cursor; the terminals it would
accept next become suggestions: keywords and operators by their text, a name by the
entity's fields (or the target entity's after ``account.``) and the functions.
Rule files (``rules/*.rules``) are handled by :mod:`trellis.rules.editor.rule_files`,
which switches to expression suggestions inside ``when``, ``set`` and ``create`` values.
Positions (errors, ``cursor_offset``) are 1-based lines and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lark import UnexpectedInput

from trellis.metadata.diagnostics import Diagnostic
from trellis.metadata.model import STANDARD_COLUMNS, AppModel, DslType, EntityDef, FieldType
from trellis.rules.expr import ExpressionError, compile_expression
from trellis.rules.expr.functions import FUNCTIONS
from trellis.rules.expr.parser import expression_lark

_PARTIAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_PATH_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.$")


@dataclass(frozen=True, slots=True)
class EditorReport:
    """What the rule editor shows: problems, and what may be typed at the cursor."""

    errors: list[dict[str, Any]]
    tokens: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    #: Entity names that fit (rule files: after ``on`` or ``create``).
    entities: list[str] = field(default_factory=list)
    #: Other bare words that fit: ``owner``, transition names.
    names: list[str] = field(default_factory=list)
    #: Quoted texts that fit: email template names, role names.
    values: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as the ``_check`` endpoint answers it."""
        return {
            "valid": not any(e.get("severity", "error") == "error" for e in self.errors),
            "errors": self.errors,
            "tokens": self.tokens,
            "fields": self.fields,
            "functions": self.functions,
            "entities": self.entities,
            "names": self.names,
            "values": self.values,
        }


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    """One problem as the editor shows it (1-based line and column)."""
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "line": d.span.line,
        "column": d.span.col,
        "suggestion": d.suggestion,
    }


def cursor_offset(source: str, line: int, column: int) -> int:
    """The character offset of 1-based ``line`` and ``column`` in ``source`` (clamped)."""
    lines = source.split("\n")
    line = max(1, min(line, len(lines)))
    offset = sum(len(text) + 1 for text in lines[: line - 1])
    return offset + max(0, min(column - 1, len(lines[line - 1])))


def _diagnostics(
    source: str, entity: EntityDef, model: AppModel, expected: DslType | None
) -> list[dict[str, Any]]:
    try:
        compile_expression(source, entity, model, expected=expected)
    except ExpressionError as exc:
        return [diagnostic_json(d) for d in exc.diagnostics]
    return []


def _accepted_terminals(prefix: str) -> set[str]:
    parser = expression_lark()
    interactive = parser.parse_interactive(prefix)
    try:
        interactive.exhaust_lexer()
    except UnexpectedInput:
        return set()
    accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
    return accepted


def _terminal_texts(names: set[str]) -> list[str]:
    texts: list[str] = []
    for terminal in expression_lark().terminals:
        if terminal.name in names and terminal.pattern.type == "str":
            texts.append(str(terminal.pattern.value))
    return sorted(set(texts))


def _target_entity(entity: EntityDef, model: AppModel, path: str) -> EntityDef | None:
    current: EntityDef | None = entity
    for part in path.split("."):
        if current is None:
            return None
        f = current.fields.get(part)
        if f is None or f.type != FieldType.REFERENCE or f.to is None:
            return None
        current = model.entities.get(f.to)
    return current


def check_source(
    source: str,
    entity: EntityDef,
    model: AppModel,
    *,
    cursor: int | None = None,
    expected: DslType | None = None,
) -> EditorReport:
    """Check ``source`` and list what is acceptable at ``cursor`` (default: the end)."""
    errors = _diagnostics(source, entity, model, expected)
    at = len(source) if cursor is None else max(0, min(cursor, len(source)))
    tokens, fields, functions = complete_expression(source[:at], entity, model)
    return EditorReport(errors, tokens, fields, functions)


def complete_expression(
    before: str, entity: EntityDef, model: AppModel
) -> tuple[list[str], list[str], list[str]]:
    """Tokens, fields and functions that may follow the expression text ``before``."""
    partial_match = _PARTIAL.search(before)
    partial = partial_match.group(0) if partial_match else ""
    prefix = before[: len(before) - len(partial)]
    path = _PATH_BEFORE.search(prefix)
    accepted = _accepted_terminals(prefix)
    tokens = [t for t in _terminal_texts(accepted) if t.startswith(partial)]
    fields: list[str] = []
    functions: list[str] = []
    if "NAME" in accepted:
        target = _target_entity(entity, model, path.group(1)) if path else entity
        if target is not None:
            names = [*target.fields, *STANDARD_COLUMNS]
            fields = [n for n in names if n.startswith(partial)]
        if path is None:
            functions = sorted(n for n in FUNCTIONS if n.startswith(partial))
    return tokens, fields, functions


__all__ = [
    "EditorReport",
    "check_source",
    "complete_expression",
    "cursor_offset",
    "diagnostic_json",
]
