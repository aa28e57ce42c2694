"""Parse a rule file into :mod:`~trellis.rules.triggers.syntax` trees.

The outer structure comes from ``rules.lark``; expression parts stay raw text with
their positions and are parsed later by the expression language. Syntax errors are
``RL101`` diagnostics with the file, line, column, a caret excerpt and, for a
misspelt keyword, a did-you-mean suggestion.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, Tree, UnexpectedInput, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError
from lark.tree import Meta

from trellis.metadata.diagnostics import Diagnostic, caret_excerpt, did_you_mean
from trellis.metadata.model import SourceSpan
from trellis.rules.triggers import codes
from trellis.rules.triggers import syntax as s
from trellis.rules.triggers.errors import RuleFileError
from trellis.rules.triggers.kinds import ActionKind, Strategy

#: How expected tokens are named in messages.
_TOKEN_NAMES: dict[str, str] = {
    "NAME": "a name",
    "STRING": "a quoted text",
    "INT": "a whole number",
    "LINE_EXPR": "an expression",
    "ITEM_EXPR": "an expression",
    "UNIT": "minutes, hours or days",
    "_NL": "a new line",
    "SEMICOLON": "';'",
    "COMMA": "','",
    "EQUAL": "'='",
    "COLON": "':'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "$END": "the end of the file",
}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@cache
def _lark() -> Lark:
    grammar = files("trellis.rules.triggers").joinpath("rules.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True)


def rules_lark() -> Lark:
    """The shared LALR parser of the rule-file grammar (built once; the rule editor)."""
    return _lark()


def keywords() -> frozenset[str]:
    """The keywords of rule files (for suggestions and the rule editor)."""
    return frozenset(
        t.name.lower() for t in _lark().terminals if t.priority == 2 and t.name != "UNIT"
    )


def _amount(digits: str) -> int:
    """A timer's count; past 18 digits (and Python's digit limit) it is simply too big."""
    return int(digits) if len(digits) <= 18 else 10**18


def _decode(token: str) -> str:
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _pos(token: Token) -> s.Pos:
    return s.Pos(token.line or 1, token.column or 1)


def _name(token: Token) -> s.Name:
    return s.Name(str(token), _pos(token))


def _expr(token: Token) -> s.ExprText:
    raw = str(token)
    stripped = raw.lstrip()
    skipped = raw[: len(raw) - len(stripped)]
    line = (token.line or 1) + skipped.count("\n")
    col = (
        (token.column or 1) + len(skipped)
        if "\n" not in skipped
        else len(skipped.rsplit("\n", 1)[1]) + 1
    )
    return s.ExprText(stripped.rstrip(), s.Pos(line, col))


def _tokens(children: list[Any], kind: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type == kind]


@v_args(meta=True)
class _ToSyntax(Transformer[Token, Any]):
    """Lark parse tree -> rule syntax tree."""

    def start(self, meta: Meta, c: list[Any]) -> list[s.RuleSyntax]:
        return [r for r in c if isinstance(r, s.RuleSyntax)]

    def rule(self, meta: Meta, c: list[Any]) -> s.RuleSyntax:
        name = _tokens(c, "STRING")[0]
        trigger = next(x for x in c if isinstance(x, s.Trigger))
        when = next((x for x in c if isinstance(x, s.ExprText)), None)
        actions = next(x for x in c if isinstance(x, tuple))
        return s.RuleSyntax(
            _decode(str(name)), s.Pos(meta.line, meta.column), trigger, when, actions
        )

    def event(self, meta: Meta, c: list[Token]) -> Token:
        return c[0]

    def on_events(self, meta: Meta, c: list[Token]) -> s.Trigger:
        events = tuple(str(t) for t in c[2:])
        return s.Trigger("events", _pos(c[0]), entity=_name(c[1]), events=events)

    def on_change(self, meta: Meta, c: list[Token]) -> s.Trigger:
        return s.Trigger("change", _pos(c[0]), entity=_name(c[1]), field=_name(c[2]))

    def on_time(self, meta: Meta, c: list[Token]) -> s.Trigger:
        return s.Trigger(
            "time",
            _pos(c[0]),
            entity=_name(c[1]),
            direction=str(c[2]),
            amount=_amount(str(c[3])),
            unit=str(c[4]).rstrip("s") + "s",
            field=_name(c[6]),
        )

    def on_cron(self, meta: Meta, c: list[Token]) -> s.Trigger:
        # ``every "<cron>"`` or ``on <entity> every "<cron>"`` (the records of the entity)
        entity = _name(c[1]) if len(c) == 4 else None
        text = c[-1]
        return s.Trigger(
            "cron", _pos(c[0]), entity=entity, cron=_decode(str(text)), cron_pos=_pos(text)
        )

    def when(self, meta: Meta, c: list[Token]) -> s.ExprText:
        return _expr(c[1])

    def actions(self, meta: Meta, c: list[s.Action]) -> tuple[s.Action, ...]:
        return tuple(c)

    def set_action(self, meta: Meta, c: list[Token]) -> s.Action:
        return s.Action(ActionKind.SET, _pos(c[0]), target=_name(c[1]), expr=_expr(c[-1]))

    def reject_action(self, meta: Meta, c: list[Token]) -> s.Action:
        return s.Action(ActionKind.REJECT, _pos(c[0]), text=_decode(str(c[1])), text_pos=_pos(c[1]))

    def create_action(self, meta: Meta, c: list[Any]) -> s.Action:
        if _tokens(c, "PATH"):
            return self._create_each(c)
        items = tuple(x for x in c if isinstance(x, tuple))
        names = _tokens(c, "NAME")
        binding = _name(names[1]) if len(names) > 1 else None
        return s.Action(
            ActionKind.CREATE, _pos(c[0]), target=_name(names[0]), items=items, binding=binding
        )

    @staticmethod
    def _create_each(c: list[Any]) -> s.Action:
        """``create <entity> for each <entity> matching <path> {…}``."""
        items = tuple(x for x in c if isinstance(x, tuple))
        names = _tokens(c, "NAME")
        path = _tokens(c, "PATH")[0]
        return s.Action(
            ActionKind.CREATE,
            _pos(c[0]),
            target=_name(names[0]),
            items=items,
            each=_name(names[1]),
            filter_path=_expr(path),
        )

    def update_action(self, meta: Meta, c: list[Any]) -> s.Action:
        items = tuple(x for x in c if isinstance(x, tuple))
        names = _tokens(c, "NAME")
        if len(names) == 1:
            through = _name(names[0])
            return s.Action(ActionKind.UPDATE, _pos(c[0]), items=items, through=through)
        target, link = (_name(names[0]), _name(names[1])) if names else (None, None)
        return s.Action(ActionKind.UPDATE, _pos(c[0]), target=target, items=items, link=link)

    def item(self, meta: Meta, c: list[Token]) -> tuple[s.Name, s.ExprText]:
        return _name(c[0]), _expr(c[1])

    def notify_action(self, meta: Meta, c: list[Token]) -> s.Action:
        text = c[2]
        return s.Action(
            ActionKind.NOTIFY,
            _pos(c[0]),
            target=_name(c[1]),
            text=_decode(str(text)),
            text_pos=_pos(text),
        )

    def email_action(self, meta: Meta, c: list[Token]) -> s.Action:
        text = c[2]
        return s.Action(
            ActionKind.EMAIL,
            _pos(c[0]),
            target=_name(c[4]),
            text=_decode(str(text)),
            text_pos=_pos(text),
        )

    def webhook_action(self, meta: Meta, c: list[Token]) -> s.Action:
        return s.Action(
            ActionKind.WEBHOOK, _pos(c[0]), text=_decode(str(c[1])), text_pos=_pos(c[1])
        )

    def assign_action(self, meta: Meta, c: list[Any]) -> s.Action:
        role = c[3]
        team = next((x[1] for x in c[4:] if isinstance(x, tuple) and x[0] == "team"), None)
        match = next((x[1] for x in c[4:] if isinstance(x, tuple) and x[0] == "match"), None)
        quoted = team is not None and team.type == "STRING"
        return s.Action(
            ActionKind.ASSIGN,
            _pos(c[0]),
            target=_name(c[1]),
            text=_decode(str(role)),
            text_pos=_pos(role),
            strategy=Strategy(str(c[2])),
            team_text=_decode(str(team)) if quoted and team is not None else None,
            team_field=_name(team) if team is not None and not quoted else None,
            matching=_name(match) if match is not None else None,
        )

    def in_team(self, meta: Meta, c: list[Token]) -> tuple[str, Token]:
        return ("team", c[2])

    def matching(self, meta: Meta, c: list[Token]) -> tuple[str, Token]:
        return ("match", c[1])

    def transition_action(self, meta: Meta, c: list[Token]) -> s.Action:
        return s.Action(ActionKind.TRANSITION, _pos(c[0]), target=_name(c[1]))

    def escalate_action(self, meta: Meta, c: list[Token]) -> s.Action:
        role = c[3]
        return s.Action(
            ActionKind.ESCALATE, _pos(c[0]), text=_decode(str(role)), text_pos=_pos(role)
        )


def _word_at(source: str, line: int, col: int) -> str:
    lines = source.splitlines() or [""]
    text = lines[min(max(line, 1), len(lines)) - 1][max(col - 1, 0) :]
    word = ""
    for ch in text:
        if not (ch.isalnum() or ch == "_"):
            break
        word += ch
    return word


def _describe(expected: set[str]) -> str:
    names: set[str] = set()
    for term in expected:
        if term in _TOKEN_NAMES:
            names.add(_TOKEN_NAMES[term])
        else:
            names.add(f"'{term.lower()}'")
    return ", ".join(sorted(names))


def _syntax_error(err: UnexpectedInput, source: str, path: str) -> Diagnostic:
    expected: set[str] = set()
    if isinstance(err, UnexpectedToken):
        expected = set(err.accepts or err.expected)
    elif isinstance(err, UnexpectedCharacters | UnexpectedEOF):
        expected = (
            set(err.allowed or ()) if isinstance(err, UnexpectedCharacters) else set(err.expected)
        )
    at_end = isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    )
    if at_end:
        lines = source.rstrip().split("\n")
        line, col = len(lines), len(lines[-1]) + 1
        found = "the end of the file"
    else:
        line, col = err.line or 1, err.column or 1
        word = _word_at(source, line, col)
        rest = source.splitlines()[line - 1][col - 1 :] if source.splitlines() else ""
        found = repr(word) if word else (repr(rest[:1]) if rest.strip() else "end of line")
    line, col = max(line, 1), max(col, 1)
    suggestion = None
    word = "" if at_end else _word_at(source, line, col)
    keys = {k.lower() for k in expected} & keywords()
    if word and keys:
        suggestion = did_you_mean(word, sorted(keys))
    message = f"Unexpected {found}"
    if expected:
        message += f"; expected {_describe(expected)}"
    if at_end and "END" in expected:
        message = "A rule is not closed: 'end' is missing"
    return Diagnostic(
        code=codes.SYNTAX,
        message=message,
        span=SourceSpan(path, line, col),
        suggestion=suggestion,
        context=caret_excerpt(source, line, col),
    )


def parse_rules(source: str, path: str = "<rules>") -> list[s.RuleSyntax]:
    """Parse the text of one rule file.

    Raises:
        RuleFileError: With one ``RL101`` diagnostic at the first syntax error.
    """
    try:
        tree: Tree[Token] = _lark().parse(source)
        result: list[s.RuleSyntax] = _ToSyntax().transform(tree)
    except UnexpectedInput as err:
        raise RuleFileError([_syntax_error(err, source, path)]) from None
    except (RecursionError, VisitError) as err:
        message = f"The rule file could not be read: {type(err).__name__}"
        raise RuleFileError([Diagnostic(codes.SYNTAX, message, SourceSpan(path, 1, 1))]) from None
    return result


__all__ = ["keywords", "parse_rules", "rules_lark"]
