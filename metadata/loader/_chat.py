"""``chat:`` of app.yaml: the live chat's entities and fields, checked and built (MD430).

The JSON Schema checks the shape; here the conversation and message entities must
exist, ``status`` be an enum of the conversation holding every ``open`` value, the
message's ``parent`` a reference to the conversation, ``body`` a text field, ``sender``
an enum offering ``visitor`` and ``agent``, the visitor's fields a string and an e-mail,
``link`` a reference of the conversation and an e-mail field of its target,
``transcript`` a text field of the conversation, ``notify`` roles of roles.yaml, and
the ``public`` role allowed to create both entities. Every problem is MD430 at the value
that causes it, with a suggestion.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.model import PUBLIC_ROLE, AppModel, ChatDef, EntityDef, FieldType
from trellis.metadata.model.chat import AGENT, DEFAULT_MAX_LENGTH, VISITOR
from trellis.metadata.model.public import public_text

CODE = "MD430"
TEXTS = (FieldType.STRING, FieldType.TEXT)


class _Checks:
    """Reports MD430 problems at their place in app.yaml."""

    def __init__(self, model: AppModel, positions: PositionMap, report: Report) -> None:
        self.model = model
        self.positions = positions
        self.report = report

    def error(self, message: str, path: NodePath, suggestion: str | None = None) -> None:
        self.report.error(
            CODE, f"chat: {message}", self.positions.value(("chat", *path)), suggestion
        )

    def entity(self, name: str, path: NodePath) -> EntityDef | None:
        found = self.model.entities.get(name)
        if found is None:
            hint = did_you_mean(name, sorted(self.model.entities))
            self.error(f"unknown entity '{name}'", path, hint)
        return found

    def field(
        self, entity: EntityDef, name: str, path: NodePath, kinds: tuple[FieldType, ...]
    ) -> bool:
        f = entity.fields.get(name)
        if f is None:
            hint = did_you_mean(name, sorted(entity.fields))
            self.error(f"entity '{entity.name}' has no field '{name}'", path, hint)
            return False
        if f.type not in kinds or f.computed:
            wanted = " or ".join(str(k) for k in kinds)
            self.error(
                f"'{name}' of '{entity.name}' must be a stored {wanted} field, not {f.type}",
                path,
            )
            return False
        return True

    def options(self, entity: EntityDef, name: str, values: list[str], path: NodePath) -> None:
        options = entity.fields[name].options
        for value in values:
            if value not in options:
                hint = did_you_mean(value, list(options))
                message = f"'{value}' is not an option of '{entity.name}.{name}'"
                self.error(message if hint else f"{message}; add it to its options", path, hint)

    def public(self, entity: EntityDef, path: NodePath) -> None:
        role = self.model.roles.get(PUBLIC_ROLE)
        access = role.entities.get(entity.name) if role is not None else None
        if access is None or not access.allows("create"):
            grant = f"{PUBLIC_ROLE}: {{entities: {{{entity.name}: {{actions: [create]}}}}}}"
            self.error(
                f"the '{PUBLIC_ROLE}' role of roles.yaml may not create '{entity.name}' "
                f"records; add  {grant}",
                path,
            )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def build_chat(data: dict[str, Any], positions: PositionMap) -> ChatDef:
    """The chat of an (already schema-checked) ``chat:`` block."""
    messages = data.get("messages") or {}
    raw_link = data.get("link")
    link: dict[str, Any] = raw_link if isinstance(raw_link, dict) else {}
    return ChatDef(
        entity=str(data.get("entity", "")),
        status=str(data.get("status", "")),
        open=tuple(str(v) for v in data.get("open") or ()),
        message_entity=str(messages.get("entity", "")),
        parent=str(messages.get("parent", "")),
        body=str(messages.get("body", "")),
        sender=str(messages.get("sender", "")),
        visitor_name=_text(data.get("visitor_name")),
        visitor_email=_text(data.get("visitor_email")),
        link_field=_text(link.get("field")),
        link_match=_text(link.get("match")),
        transcript=_text(data.get("transcript")),
        notify=tuple(str(r) for r in data.get("notify") or ()),
        title=public_text(data.get("title")),
        welcome=public_text(data.get("welcome")),
        max_length=int(data.get("max_length") or DEFAULT_MAX_LENGTH),
        allowed_origins=tuple(str(o) for o in data.get("allowed_origins") or ()),
        source=positions.anchor(("chat",)),
    )


def _check_link(chat: ChatDef, conversation: EntityDef, checks: _Checks) -> None:
    """``link``: a reference of the conversation to an entity with the e-mail ``match``."""
    if not chat.link_field or not chat.link_match:
        return
    if not chat.visitor_email:
        checks.error(
            "'link' needs 'visitor_email': the e-mail it matches on",
            ("link",),
            "declare visitor_email (an e-mail field of the conversation)",
        )
    if not checks.field(conversation, chat.link_field, ("link", "field"), (FieldType.REFERENCE,)):
        return
    target = checks.model.entities.get(conversation.fields[chat.link_field].to or "")
    if target is not None:
        checks.field(target, chat.link_match, ("link", "match"), (FieldType.EMAIL,))


def _check(chat: ChatDef, checks: _Checks) -> None:
    conversation = checks.entity(chat.entity, ("entity",))
    if conversation is not None:
        if checks.field(conversation, chat.status, ("status",), (FieldType.ENUM,)):
            checks.options(conversation, chat.status, list(chat.open), ("open",))
        if chat.visitor_name:
            checks.field(conversation, chat.visitor_name, ("visitor_name",), TEXTS)
        if chat.visitor_email:
            checks.field(conversation, chat.visitor_email, ("visitor_email",), (FieldType.EMAIL,))
        _check_link(chat, conversation, checks)
        if chat.transcript:
            checks.field(conversation, chat.transcript, ("transcript",), (FieldType.TEXT,))
        checks.public(conversation, ("entity",))
    message = checks.entity(chat.message_entity, ("messages", "entity"))
    if message is None:
        return
    path: NodePath = ("messages", "parent")
    if checks.field(message, chat.parent, path, (FieldType.REFERENCE,)):
        target = message.fields[chat.parent].to
        if conversation is not None and target != conversation.name:
            checks.error(
                f"'{chat.parent}' of '{message.name}' refers to '{target}', "
                f"not to the conversation entity '{conversation.name}'",
                path,
            )
    checks.field(message, chat.body, ("messages", "body"), TEXTS)
    if checks.field(message, chat.sender, ("messages", "sender"), (FieldType.ENUM,)):
        checks.options(message, chat.sender, [VISITOR, AGENT], ("messages", "sender"))
    checks.public(message, ("messages", "entity"))
    for role in chat.notify:
        if role not in checks.model.roles:
            hint = did_you_mean(role, sorted(checks.model.roles))
            checks.error(f"unknown role '{role}' in notify", ("notify",), hint)


def attach_chat(model: AppModel, data: Any, positions: PositionMap, report: Report) -> AppModel:
    """The model with its ``chat:`` (None when app.yaml has none); problems reported."""
    block = data.get("chat") if isinstance(data, dict) else None
    if not isinstance(block, dict):
        return model
    chat = build_chat(block, positions)
    _check(chat, _Checks(model, positions, report))
    return replace(model, chat=chat)


__all__ = ["attach_chat", "build_chat"]
