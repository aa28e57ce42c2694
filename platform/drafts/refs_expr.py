"""Rename a field or entity inside rule-language text, through the parsers' positions.

Expressions are parsed with the rule-language parser; each path segment is resolved
against the model (the first segment on the expression's entity, the next ones
through reference fields) and only the segments naming the renamed field are
rewritten, at their token positions. Rule files are parsed with the rule-file parser
the same way: triggers, ``set`` targets, ``create`` items and every embedded
expression. Text inside strings and comments is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trellis.metadata.model import AppModel
from trellis.rules.expr import nodes as n
from trellis.rules.expr import parse_expression
from trellis.rules.triggers import parse_rules
from trellis.rules.triggers import syntax as s


@dataclass(frozen=True, slots=True)
class Rename:
    """``kind`` ``field``: field ``old`` of ``entity`` becomes ``new``; ``entity``: the entity."""

    kind: str
    entity: str
    old: str
    new: str

    def field(self, entity: str | None, name: str) -> bool:
        """Whether ``name`` on ``entity`` is the renamed field."""
        return self.kind == "field" and entity == self.entity and name == self.old

    def names_entity(self, name: str) -> bool:
        """Whether ``name`` is the renamed entity."""
        return self.kind == "entity" and name == self.old


#: An edit of a text: (start offset, end offset, replacement).
Edit = tuple[int, int, str]


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with the non-overlapping ``edits`` applied."""
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def line_starts(text: str) -> list[int]:
    """The offset of each line's first character (index 0 = line 1)."""
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def _paths(node: n.Expr) -> Iterator[n.Path]:
    if isinstance(node, n.Path):
        yield node
    for child in n.children(node):
        yield from _paths(child)


def path_hits(model: AppModel, entity: str | None, names: list[str], rename: Rename) -> list[int]:
    """Which segments of a dotted path starting on ``entity`` name the renamed field."""
    hits: list[int] = []
    current = entity
    for i, name in enumerate(names):
        found = model.entities.get(current) if current else None
        if found is None:
            break
        if rename.field(current, name):
            hits.append(i)
        spec = found.fields.get(name)
        current = spec.to if spec is not None else None
    return hits


def expression_edits(
    model: AppModel, entity: str | None, source: str, rename: Rename, base: int = 0
) -> list[Edit]:
    """Edits of ``source`` (an expression on ``entity``), offset by ``base``."""
    if rename.kind != "field":
        return []
    starts = line_starts(source)
    edits: list[Edit] = []
    for path in _paths(parse_expression(source)):
        for i in path_hits(model, entity, list(path.names), rename):
            seg = path.segments[i]
            at = base + starts[seg.line - 1] + seg.col - 1
            edits.append((at, at + len(seg.text), rename.new))
    return edits


def rename_expression(model: AppModel, entity: str | None, source: str, rename: Rename) -> str:
    """``source`` with the renamed field's segments rewritten."""
    return apply_edits(source, expression_edits(model, entity, source, rename))


def _offset(starts: list[int], pos: s.Pos) -> int:
    return starts[pos.line - 1] + pos.col - 1


def rule_file_edits(model: AppModel, source: str, rename: Rename) -> list[Edit]:
    """Edits of a ``rules/*.rules`` file."""
    starts = line_starts(source)
    edits: list[Edit] = []

    def name(token: s.Name | None, entity: str | None, is_entity: bool = False) -> None:
        if token is None:
            return
        hit = rename.names_entity(token.text) if is_entity else rename.field(entity, token.text)
        if hit:
            at = _offset(starts, token.pos)
            edits.append((at, at + len(token.text), rename.new))

    def expr(text: s.ExprText | None, entity: str | None) -> None:
        if text is not None:
            base = _offset(starts, text.pos)
            edits.extend(expression_edits(model, entity, text.text, rename, base))

    for rule in parse_rules(source):
        trigger = rule.trigger
        entity = trigger.entity.text if trigger.entity else None
        name(trigger.entity, None, is_entity=True)
        name(trigger.field, entity)
        expr(rule.when, entity)
        for action in rule.actions:
            kind = action.kind.value
            if kind == "set":
                name(action.target, entity)
            elif kind == "create":
                name(action.target, None, is_entity=True)
                created = action.target.text if action.target else None
                for key, value in action.items:
                    name(key, created)
                    expr(value, entity)
            expr(action.expr, entity)
    return edits


__all__ = [
    "Edit",
    "Rename",
    "apply_edits",
    "expression_edits",
    "line_starts",
    "path_hits",
    "rename_expression",
    "rule_file_edits",
]
