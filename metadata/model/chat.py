"""Frozen definition of a live chat (``chat:`` of app.yaml): a public widget and a queue.

A visitor opens a conversation (a record of ``entity``) from the widget served under
``/p/{tenant}/chat``; every message is a record of ``messages.entity`` pointing back to
it through ``messages.parent``. Agents see the conversations whose ``status`` is one of
``open`` in a queue screen and answer from the record (see docs/chat.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: The values the platform writes into a message's ``sender`` field.
VISITOR = "visitor"
AGENT = "agent"
#: The longest message a widget may send when ``max_length`` is not declared.
DEFAULT_MAX_LENGTH = 2000
_NO_TEXT: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ChatDef:
    """The app's live chat.

    ``entity`` is the conversation entity: ``status`` an enum field of it, ``open`` the
    values that keep a conversation in the queue (the first one is given to a new
    conversation), ``visitor_name``/``visitor_email`` the fields the widget fills when a
    conversation starts. ``link_field`` (a reference of the conversation) is set to the one
    record of its target whose e-mail field ``link_match`` equals the visitor's e-mail
    (none when no record or several match). ``transcript`` (a text field of the
    conversation) gets the whole transcript when the status leaves the ``open`` values;
    the members with a role of ``notify`` are told of each new conversation.
    ``message_entity`` holds the messages: ``parent`` references
    the conversation, ``body`` holds the text and ``sender`` (an enum with the options
    ``visitor`` and ``agent``) who wrote it. ``title`` and ``welcome`` are the widget's
    texts by language; ``allowed_origins`` the sites that may embed it.
    """

    entity: str
    status: str
    open: tuple[str, ...]
    message_entity: str
    parent: str
    body: str
    sender: str
    visitor_name: str | None = None
    visitor_email: str | None = None
    link_field: str | None = None
    link_match: str | None = None
    transcript: str | None = None
    notify: tuple[str, ...] = ()
    title: Mapping[str, str] = field(default_factory=lambda: _NO_TEXT)
    welcome: Mapping[str, str] = field(default_factory=lambda: _NO_TEXT)
    max_length: int = DEFAULT_MAX_LENGTH
    allowed_origins: tuple[str, ...] = ()
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["AGENT", "DEFAULT_MAX_LENGTH", "VISITOR", "ChatDef"]
