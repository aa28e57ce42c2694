"""Compiled trigger actions: one frozen dataclass per action kind.

The checker builds them from the rule file; the runtime dispatches on them with
``match`` (see :mod:`trellis.platform.triggers.actions`). Each carries exactly the
values its kind needs, already checked against the metadata; ``kind`` names it as
the rule language does (``set``, ``send email`` is ``email``, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from jinja2 import Template

from trellis.rules.expr import CompiledExpression
from trellis.rules.triggers.kinds import ActionKind, Strategy


def recipient_column(name: str) -> str:
    """The column behind a recipient or assigned field: ``owner`` is ``owner_id``."""
    return "owner_id" if name == "owner" else name


@dataclass(frozen=True, slots=True)
class SetAction:
    """``set <field> = <expr>``: the value is fitted to the field before the write."""

    kind: ClassVar[ActionKind] = ActionKind.SET
    field: str
    expr: CompiledExpression

    @property
    def column(self) -> str:
        """The column set: the field itself (``owner_id`` is the only standard one)."""
        return self.field


@dataclass(frozen=True, slots=True)
class RejectAction:
    """``reject "<message>"``: refuse the save with the message."""

    kind: ClassVar[ActionKind] = ActionKind.REJECT
    message: str


@dataclass(frozen=True, slots=True)
class AssignAction:
    """``assign <field> <strategy>("<role>") [in team T] [matching A]``: give the record
    to a member of the role (in team T, with attribute A equal to the record's A)."""

    kind: ClassVar[ActionKind] = ActionKind.ASSIGN
    #: ``owner`` or a user field.
    field: str
    role: str
    strategy: Strategy
    #: A fixed team (``in team "support"``).
    team: str | None = None
    #: The record field naming the team (``in team category``).
    team_field: str | None = None
    #: The member attribute (and record field) that must be equal (``matching region``).
    matching: str | None = None

    @property
    def column(self) -> str:
        """The column assigned (``owner_id`` for ``owner``)."""
        return recipient_column(self.field)


@dataclass(frozen=True, slots=True)
class NotifyAction:
    """``notify <recipient> "<text>"``: a notification rendered from the record."""

    kind: ClassVar[ActionKind] = ActionKind.NOTIFY
    #: ``owner`` or a user field.
    recipient: str
    text: str
    template: Template


@dataclass(frozen=True, slots=True)
class EmailAction:
    """``send email "<template>" to <recipient>``: an outbox row for the job runner."""

    kind: ClassVar[ActionKind] = ActionKind.EMAIL
    #: The name of ``email_templates/<template>.j2`` in the package.
    template: str
    #: ``owner``, a user field or an email field.
    recipient: str


#: ``(field, entity)``: a value given as a record of ``entity`` to an ``any_reference``
#: field (saved as ``{entity, id}``).
AnyRefs: TypeAlias = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CreateAction:
    """``create <entity> {field: expr, …} [as <name>]``: a record created through the
    save pipeline; ``as`` binds its id to ``name`` for the rule's later actions."""

    kind: ClassVar[ActionKind] = ActionKind.CREATE
    entity: str
    #: ``(field of the created entity, expression on the firing record)``, as written.
    values: tuple[tuple[str, CompiledExpression], ...]
    binding: str | None = None
    any_refs: AnyRefs = ()
    #: ``(lines field of the created entity, lines field of the firing record)``: the new
    #: record gets copies of the firing record's lines (the fields both line entities have).
    copy_lines: tuple[tuple[str, str], ...] = ()
    #: ``for each <entity> matching <path>``: one record per live record of ``each``
    #: that the filter text read through ``matching`` selects (values read it as ``each``).
    each: str | None = None
    matching: CompiledExpression | None = None


@dataclass(frozen=True, slots=True)
class UpdateAction:
    """``update {field: expr, …}``: the firing record, or ``update <entity>.<link> {…}``:
    every record of ``entity`` whose ``link`` points at it, or ``update <reference> {…}``:
    the record the firing record's reference field ``through`` points at; updated
    through the pipeline."""

    kind: ClassVar[ActionKind] = ActionKind.UPDATE
    #: None: the firing record itself.
    entity: str | None
    link: str | None
    values: tuple[tuple[str, CompiledExpression], ...]
    any_refs: AnyRefs = ()
    through: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookAction:
    """``webhook "<url>"``: an outbox row posting the record to the address."""

    kind: ClassVar[ActionKind] = ActionKind.WEBHOOK
    url: str


@dataclass(frozen=True, slots=True)
class TransitionAction:
    """``transition <name>``: run a workflow transition on the record."""

    kind: ClassVar[ActionKind] = ActionKind.TRANSITION
    name: str


@dataclass(frozen=True, slots=True)
class EscalateAction:
    """``escalate to role "<role>"``: notify every member of the role."""

    kind: ClassVar[ActionKind] = ActionKind.ESCALATE
    role: str


#: Every compiled action; ``match`` on it and end with ``assert_never``.
Action: TypeAlias = (
    SetAction
    | RejectAction
    | AssignAction
    | NotifyAction
    | EmailAction
    | CreateAction
    | UpdateAction
    | WebhookAction
    | TransitionAction
    | EscalateAction
)
#: The actions that change the firing record itself (before the save, or a timer's update).
RecordAction: TypeAlias = SetAction | AssignAction

__all__ = [
    "Action",
    "AnyRefs",
    "AssignAction",
    "CreateAction",
    "EmailAction",
    "EscalateAction",
    "NotifyAction",
    "RecordAction",
    "RejectAction",
    "SetAction",
    "TransitionAction",
    "UpdateAction",
    "WebhookAction",
    "recipient_column",
]
