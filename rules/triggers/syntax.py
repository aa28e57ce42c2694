"""The syntax tree of a rule file: rules, triggers and actions with 1-based positions."""

from __future__ import annotations

from dataclasses import dataclass

from trellis.rules.triggers.kinds import ActionKind, Strategy


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column in the rule file."""

    line: int
    col: int


@dataclass(frozen=True, slots=True)
class ExprText:
    """The raw text of an expression and where its first character is."""

    text: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier (entity, field, recipient) and its position."""

    text: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Trigger:
    """``on e created, updated`` / ``on e f changes`` / ``on e after N unit from f`` / ``every``.

    ``kind`` is ``events``, ``change``, ``time`` or ``cron``; a cron trigger has an
    entity when it is ``on e every "<cron>"`` (it acts on the records of ``e``).
    """

    kind: str
    pos: Pos
    entity: Name | None = None
    events: tuple[str, ...] = ()
    field: Name | None = None
    #: ``after`` or ``before`` (time triggers).
    direction: str = ""
    amount: int = 0
    unit: str = ""
    cron: str = ""
    #: Where the cron text starts (cron triggers).
    cron_pos: Pos | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a rule's ``then`` block.

    ``target`` is the field set, the entity created, the recipient or the transition
    run; ``text`` the message, template, address or role. The checker turns it into
    the compiled dataclass of its kind (:mod:`~trellis.rules.triggers.actions`).
    """

    kind: ActionKind
    pos: Pos
    target: Name | None = None
    expr: ExprText | None = None
    text: str = ""
    text_pos: Pos | None = None
    items: tuple[tuple[Name, ExprText], ...] = ()
    #: ``assign`` only.
    strategy: Strategy | None = None
    #: ``assign … in team "t"`` (quoted: ``team_text``) or ``in team <field>``.
    team_text: str | None = None
    team_field: Name | None = None
    #: ``assign … matching <attribute>``: the member attribute equal to the record's field.
    matching: Name | None = None
    #: ``create … as <name>``: the name later actions of the rule read the new record by.
    binding: Name | None = None
    #: ``update <entity>.<link> {…}``: the field of ``target`` pointing at the record.
    link: Name | None = None
    #: ``update <reference> {…}``: the record's reference field whose record is updated.
    through: Name | None = None
    #: ``create <entity> for each <each> matching <path> {…}``: the entity iterated.
    each: Name | None = None
    #: ``… matching <path>``: the path to the text field holding the filter.
    filter_path: ExprText | None = None


@dataclass(frozen=True, slots=True)
class RuleSyntax:
    """One ``rule "name" … end`` block."""

    name: str
    pos: Pos
    trigger: Trigger
    when: ExprText | None
    actions: tuple[Action, ...]


__all__ = ["Action", "ExprText", "Name", "Pos", "RuleSyntax", "Trigger"]
