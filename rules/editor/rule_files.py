"""Editor support for rule files: problems, and what may be typed at the cursor.

The text before the cursor is fed to the rule grammar's interactive parser. Inside a
``when`` condition, a ``set f = …`` value or a ``create e {f: …}`` value the
expression suggestions of the trigger's entity apply; elsewhere the accepted terminals
become keywords and punctuation, and a name or quoted text that fits is offered from
the metadata: entities after ``on``/``create``, fields after ``set`` or ``from``,
recipients after ``notify``/``assign``/``to``, transitions, template and role names.
"""

from __future__ import annotations

import re

from lark import Token, UnexpectedInput

from trellis.metadata.model import FIELD_TYPES, AppModel, DslType, EntityDef, FieldType
from trellis.rules.editor import (
    EditorReport,
    complete_expression,
    diagnostic_json,
)
from trellis.rules.triggers import check_rule_source
from trellis.rules.triggers.parser import rules_lark

_PARTIAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
#: Tokens after which an expression starts.
_EXPRESSION_OPENERS = frozenset({"WHEN", "EQUAL", "COLON"})
_EXPRESSION_TOKENS = frozenset({"LINE_EXPR", "ITEM_EXPR"})
_NOT_SUGGESTED = frozenset({"NAME", "STRING", "INT", "LINE_EXPR", "ITEM_EXPR", "_NL", "$END"})
_UNITS = ("days", "hours", "minutes")
_DATE_TYPES = (DslType.DATE, DslType.DATETIME)


def _lex(prefix: str) -> tuple[list[Token], set[str], bool]:
    """Tokens of ``prefix``, the terminals accepted next, and whether lexing failed."""
    interactive = rules_lark().parse_interactive(prefix)
    tokens: list[Token] = []
    failed = False
    try:
        for token in interactive.iter_parse():
            tokens.append(token)
    except UnexpectedInput:
        failed = True
    try:
        accepted: set[str] = interactive.accepts()  # type: ignore[no-untyped-call]
    except UnexpectedInput:
        accepted = set()
    return tokens, accepted, failed


def _after(tokens: list[Token], kind: str) -> str | None:
    """The NAME right after the last ``kind`` token, if any."""
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i].type == kind:
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            return str(following) if following is not None and following.type == "NAME" else None
    return None


def _expression_text(tokens: list[Token], prefix: str, failed: bool) -> str | None:
    """The expression text before the cursor when the cursor is inside one."""
    if not tokens:
        return None
    last = tokens[-1]
    end = last.end_pos if last.end_pos is not None else len(prefix)
    if last.type in _EXPRESSION_TOKENS and (failed or end == len(prefix)):
        text = prefix[last.start_pos or 0 :]
    elif last.type in _EXPRESSION_OPENERS and (last.type != "COLON" or _after(tokens, "CREATE")):
        text = prefix[end:]
    else:
        return None
    return None if "\n" in text else text


def _keywords(accepted: set[str], partial: str) -> list[str]:
    words: set[str] = set()
    for terminal in rules_lark().terminals:
        if terminal.name not in accepted or terminal.name in _NOT_SUGGESTED:
            continue
        if terminal.name == "UNIT":
            words.update(_UNITS)
        elif terminal.pattern.type == "str":
            words.add(str(terminal.pattern.value))
        else:
            words.add(terminal.name.lower())
    return sorted(w for w in words if w.startswith(partial))


class _Suggestions:
    """Names and texts that fit after the last token, from the model."""

    def __init__(self, model: AppModel, tokens: list[Token], partial: str) -> None:
        self.model = model
        self.tokens = tokens
        self.partial = partial
        self.entities: list[str] = []
        self.fields: list[str] = []
        self.names: list[str] = []
        self.values: list[str] = []

    def entity(self, name: str | None) -> EntityDef | None:
        return self.model.entities.get(name or "")

    def keep(self, words: list[str]) -> list[str]:
        return sorted({w for w in words if w.startswith(self.partial)})

    def fields_of(self, entity: EntityDef | None, *, types: tuple[str, ...] = ()) -> list[str]:
        if entity is None:
            return []
        return [n for n, f in entity.fields.items() if not types or f.type in types]

    def build(self, accepted: set[str]) -> None:
        last = self.tokens[-1].type if self.tokens else ""
        before = self.tokens[-2].type if len(self.tokens) > 1 else ""
        trigger = self.entity(_after(self.tokens, "ON"))
        if "NAME" in accepted:
            self.names_after(last, before, trigger)
        if "STRING" in accepted:
            self.values_after(last, before)

    def names_after(self, last: str, before: str, trigger: EntityDef | None) -> None:
        if last in ("ON", "CREATE"):
            self.entities = self.keep(list(self.model.entities))
        elif last == "NAME" and before == "ON":
            self.fields = self.keep(self.fields_of(trigger))  # on <entity> <field> changes
        elif last == "SET" and trigger is not None:
            settable = [n for n, f in trigger.fields.items() if not f.computed]
            self.fields = self.keep(settable)
        elif last in ("ASSIGN", "NOTIFY", "TO"):
            types = (FieldType.USER, FieldType.EMAIL) if last == "TO" else (FieldType.USER,)
            self.names = self.keep(["owner"])
            self.fields = self.keep(self.fields_of(trigger, types=types))
        elif last == "FROM" and trigger is not None:
            dates = [
                n for n, f in trigger.fields.items() if FIELD_TYPES[f.type].dsl_type in _DATE_TYPES
            ]
            self.fields = self.keep([*dates, "created_at", "updated_at"])
        elif last == "TRANSITION" and trigger is not None:
            flows = self.model.workflows_of(trigger.name)
            self.names = self.keep([t.name for w in flows for t in w.transitions])
        elif last in ("LBRACE", "COMMA"):
            created = self.entity(_after(self.tokens, "CREATE"))
            self.fields = self.keep(self.fields_of(created))

    def values_after(self, last: str, before: str) -> None:
        if last == "EMAIL":
            self.values = [f'"{n}"' for n in self.keep(list(self.model.email_templates))]
        elif last == "ROLE" or (last == "LPAR" and before in ("ROUND_ROBIN", "LOAD_BALANCED")):
            roles = [*self.model.roles, "admin"] if last == "ROLE" else list(self.model.roles)
            self.values = [f'"{n}"' for n in self.keep(roles)]


def check_rule_file(source: str, model: AppModel, *, cursor: int | None = None) -> EditorReport:
    """Check rule-file ``source`` against ``model``; list what fits at ``cursor`` (an offset).

    Errors and ``RL111`` warnings carry 1-based positions in ``source``. Never raises
    for bad input.
    """
    _rules, diagnostics = check_rule_source(model, source, "<editor>")
    errors = [diagnostic_json(d) for d in diagnostics]
    at = len(source) if cursor is None else max(0, min(cursor, len(source)))
    before = source[:at]
    match = _PARTIAL.search(before)
    partial = match.group(0) if match else ""
    tokens, _accepted, failed = _lex(before)
    expression = _expression_text(tokens, before, failed)
    trigger = model.entities.get(_after(tokens, "ON") or "")
    if expression is not None and trigger is not None:
        words, fields, functions = complete_expression(expression, trigger, model)
        return EditorReport(errors, words, fields, functions)
    prefix_tokens, prefix_accepted, _ = _lex(before[: len(before) - len(partial)])
    suggestions = _Suggestions(model, prefix_tokens, partial)
    suggestions.build(prefix_accepted)
    return EditorReport(
        errors,
        tokens=_keywords(prefix_accepted, partial),
        fields=suggestions.fields,
        entities=suggestions.entities,
        names=suggestions.names,
        values=suggestions.values,
    )


__all__ = ["check_rule_file"]
