"""Check the writing actions of a rule: ``create … [as <name>]`` and ``update``.

A ``create`` may bind the new record to a name; the rule's later ``create`` and
``update`` values read it as a reference to the created entity (``account`` is its id,
``account.name`` reads through it). Values are typed against the written entity's
fields; a binding used before its ``create`` or clashing with a field is ``RL114``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model import STANDARD_COLUMNS, DslType, EntityDef, FieldDef, FieldType
from trellis.rules.expr import CompiledExpression
from trellis.rules.expr import codes as expr_codes
from trellis.rules.triggers import actions as act
from trellis.rules.triggers import codes
from trellis.rules.triggers import syntax as s
from trellis.rules.triggers.owner import OWNER_COLUMN, owner_ok

if TYPE_CHECKING:
    from trellis.rules.triggers.checker import FileChecker

_Values = tuple[tuple[str, CompiledExpression], ...]


class Bindings:
    """The names bound by the ``create … as`` actions of one rule, in order."""

    def __init__(self, rule: s.RuleSyntax, entity: EntityDef) -> None:
        #: Every binding of the rule (to tell "used too early" from "unknown").
        self.declared = {
            a.binding.text: a.target.text
            for a in rule.actions
            if a.binding is not None and a.target is not None
        }
        self.entity = entity
        #: The bindings made by the actions checked so far: name -> created entity.
        self.bound: dict[str, str] = {}

    def scope(self, names: dict[str, str]) -> EntityDef:
        """The firing entity with each binding of ``names`` as a reference field."""
        if not names:
            return self.entity
        extra = {
            name: FieldDef(name=name, type=FieldType.REFERENCE, label=name, to=target)
            for name, target in names.items()
        }
        return replace(self.entity, fields={**self.entity.fields, **extra})


def bind(checker: FileChecker, bindings: Bindings, name: s.Name, created: str) -> bool:
    """Record ``create … as <name>``; False (after ``RL114``) when the name clashes."""
    entity = bindings.entity
    clash = None
    if name.text in entity.fields or name.text in STANDARD_COLUMNS:
        clash = f"a field of '{entity.name}'"
    elif name.text in bindings.bound:
        clash = "an earlier binding of this rule"
    if clash is not None:
        checker.error(
            codes.BAD_BINDING,
            f"'{name.text}' is already {clash}; bind the new {created} to another name",
            name.pos,
        )
        return False
    bindings.bound[name.text] = created
    return True


def _too_early(checker: FileChecker, bindings: Bindings, text: s.ExprText) -> bool:
    """Report (``RL114``) names of ``text`` bound only by a later action of the rule."""
    early = False
    for name, created in bindings.declared.items():
        if name in bindings.bound or name in bindings.entity.fields:
            continue
        found = re.search(rf"(?<![\w.\"']){re.escape(name)}\b", text.text)
        if found is None:
            continue
        before = text.text[: found.start()]
        line = text.pos.line + before.count("\n")
        col = found.start() - before.rfind("\n") if "\n" in before else text.pos.col + len(before)
        checker.error(
            codes.BAD_BINDING,
            f"Binding '{name}' is used before the 'create {created} … as {name}' that binds "
            "it; a rule's actions run in order",
            s.Pos(line, col),
        )
        early = True
    return early


def _as_binding(checker: FileChecker, bindings: Bindings, since: int) -> None:
    """Report an unknown name that is a misspelt binding as ``RL114``."""
    for i in range(since, len(checker.diagnostics)):
        d = checker.diagnostics[i]
        if d.code == expr_codes.UNKNOWN_FIELD and d.suggestion in bindings.bound:
            name = d.message.split("'")[1] if d.message.count("'") >= 2 else "?"
            message = f"Unknown binding '{name}': no earlier 'create … as {name}' in this rule"
            checker.diagnostics[i] = replace(d, code=codes.BAD_BINDING, message=message)


def values(
    checker: FileChecker,
    bindings: Bindings,
    items: tuple[tuple[s.Name, s.ExprText], ...],
    written: EntityDef,
) -> tuple[_Values, act.AnyRefs] | None:
    """The compiled ``{field: expr, …}`` of a write to ``written``; None after errors.

    A binding (or reference) given to an ``any_reference`` field is stored as
    ``{entity, id}``.
    """
    scope = bindings.scope(bindings.bound)
    out: list[tuple[str, CompiledExpression]] = []
    refs: list[tuple[str, str]] = []
    ok = True
    for name, text in items:
        typ = checker.field(written, name, settable=True)
        if typ is None or _too_early(checker, bindings, text):
            ok = False
            continue
        target = written.fields.get(name.text)  # None: ``owner_id``
        as_ref = target is not None and target.type == FieldType.ANY_REFERENCE
        pointed = scope.fields.get(text.text)
        if as_ref and pointed is not None and pointed.type == FieldType.REFERENCE and pointed.to:
            assert target is not None
            if pointed.to not in target.targets:
                checker.error(
                    codes.UNKNOWN_FIELD,
                    f"'{name.text}' of '{written.name}' cannot point at a {pointed.to}",
                    text.pos,
                    did_you_mean(pointed.to, target.targets),
                )
                ok = False
                continue
            refs.append((name.text, pointed.to))
            typ = None
        seen = len(checker.diagnostics)
        expr = checker.expression(text, scope, typ)
        if expr is None:
            _as_binding(checker, bindings, seen)
            ok = False
            continue
        if name.text == OWNER_COLUMN and not owner_ok(checker, expr, text.pos):
            ok = False
            continue
        out.append((name.text, expr))
    return (tuple(out), tuple(refs)) if ok else None


#: The name by which the values of ``create … for each`` read the matched record.
EACH = "each"


def _matching(
    checker: FileChecker, bindings: Bindings, action: s.Action
) -> tuple[str, CompiledExpression] | None:
    """``for each <entity> matching <path>``: the path must end at a ``filter_of`` field
    of that entity (``RL115`` otherwise); the entity and the compiled path."""
    assert action.each is not None and action.filter_path is not None
    each = checker.entity(action.each)
    if each is None:
        return None
    path = checker.expression(action.filter_path, bindings.entity, DslType.TEXT)
    if path is None:
        return None
    entity: EntityDef | None = bindings.entity
    field: FieldDef | None = None
    for part in action.filter_path.text.split("."):
        field = entity.fields.get(part) if entity is not None else None
        entity = checker.model.entities.get(field.to or "") if field is not None else None
    if field is None or field.filter_of != each.name:
        checker.error(
            codes.BAD_MATCHING,
            f"'{action.filter_path.text}' is not a field holding a filter of '{each.name}'; "
            f"declare it with 'filter_of: {each.name}'",
            action.filter_path.pos,
        )
        return None
    if EACH in bindings.entity.fields:
        checker.error(
            codes.BAD_BINDING,
            f"'{bindings.entity.name}' has a field '{EACH}', which 'for each' reads as the match",
            action.each.pos,
        )
        return None
    return each.name, path


def create(
    checker: FileChecker, bindings: Bindings, action: s.Action, target: s.Name
) -> act.CreateAction | None:
    """``create <entity> [for each <e> matching <path>] {…} [as <name>]``; every required
    field must be given."""
    created = checker.entity(target)
    if created is None:
        return None
    copies = _line_copies(checker, bindings.entity, action, created)
    items = tuple(item for item in action.items if item[0].text not in created.lines)
    matching = None
    if action.each is not None:
        matching = _matching(checker, bindings, action)
        if matching is None:
            return None
        bindings.bound[EACH] = matching[0]
    try:
        compiled = values(checker, bindings, items, created)
    finally:
        bindings.bound.pop(EACH, None) if matching is not None else None
    ok = compiled is not None and copies is not None
    given = {n.text for n, _ in action.items}
    for f in created.fields.values():
        if f.required and not f.computed and f.default is None and f.name not in given:
            checker.error(
                codes.MISSING_REQUIRED,
                f"Field '{f.name}' of '{created.name}' is required; give it a value",
                target.pos,
            )
            ok = False
    binding = action.binding
    if binding is not None and not bind(checker, bindings, binding, created.name):
        ok = False
    if not ok or compiled is None or copies is None:
        return None
    name = binding.text if binding is not None else None
    each, path = matching if matching is not None else (None, None)
    return act.CreateAction(
        created.name,
        compiled[0],
        binding=name,
        any_refs=compiled[1],
        copy_lines=copies,
        each=each,
        matching=path,
    )


def _line_copies(
    checker: FileChecker, entity: EntityDef, action: s.Action, created: EntityDef
) -> tuple[tuple[str, str], ...] | None:
    """``items: items`` of a create: lines of the new record copied from the firing one's."""
    copies: list[tuple[str, str]] = []
    ok = True
    for name, text in action.items:
        if name.text not in created.lines:
            continue
        source = text.text.strip()
        if source not in entity.lines:
            checker.error(
                codes.UNKNOWN_FIELD,
                f"'{name.text}' of '{created.name}' is a lines field: give it a lines field "
                f"of '{entity.name}' to copy the lines from",
                text.pos,
                did_you_mean(source, entity.lines),
            )
            ok = False
            continue
        copies.append((name.text, source))
    return tuple(copies) if ok else None


def _through(
    checker: FileChecker, bindings: Bindings, action: s.Action, through: s.Name
) -> act.UpdateAction | None:
    """``update <reference> {…}``: the record a reference field of the firing record names."""
    entity = bindings.entity
    f = entity.fields.get(through.text)
    if f is None or f.type != FieldType.REFERENCE or f.to is None:
        references = [n for n, fd in entity.fields.items() if fd.type == FieldType.REFERENCE]
        checker.error(
            codes.UNKNOWN_FIELD,
            f"'{through.text}' is not a reference field of '{entity.name}'",
            through.pos,
            did_you_mean(through.text, references),
        )
        return None
    written = checker.model.entity(f.to)
    compiled = values(checker, bindings, action.items, written)
    if compiled is None:
        return None
    return act.UpdateAction(written.name, None, compiled[0], compiled[1], through.text)


def update(checker: FileChecker, bindings: Bindings, action: s.Action) -> act.UpdateAction | None:
    """``update {…}`` (the firing record), ``update <entity>.<link> {…}`` or
    ``update <reference> {…}``."""
    if action.through is not None:
        return _through(checker, bindings, action, action.through)
    entity = bindings.entity
    written: EntityDef | None = entity
    link = action.link
    if action.target is not None and link is not None:
        written = checker.entity(action.target)
        if written is None:
            return None
        f = written.fields.get(link.text)
        points = f is not None and (
            (f.type == FieldType.REFERENCE and f.to == entity.name)
            or (f.type == FieldType.ANY_REFERENCE and entity.name in f.targets)
        )
        if not points:
            links = [
                n
                for n, fd in written.fields.items()
                if fd.to == entity.name or entity.name in fd.targets
            ]
            checker.error(
                codes.UNKNOWN_FIELD,
                f"'{link.text}' is not a field of '{written.name}' pointing at a {entity.name}",
                link.pos,
                did_you_mean(link.text, links),
            )
            return None
    assert written is not None
    compiled = values(checker, bindings, action.items, written)
    if compiled is None:
        return None
    name = written.name if link is not None else None
    return act.UpdateAction(name, link.text if link else None, compiled[0], any_refs=compiled[1])


__all__ = ["EACH", "Bindings", "bind", "create", "update", "values"]
