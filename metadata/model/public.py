"""Frozen definitions of public forms (``forms/<name>.yaml``) and signed links (``links/``).

A public form lets anyone on the web create one record of one entity through the save
pipeline, as the tenant's ``public`` role; a signed link lets the holder of a token view
or change one record in a declared way (see docs/public.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trellis.metadata.model.local_text import DEFAULT_LOCALE, pick_local
from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: The role whose grants are what a public form may save (``roles.yaml``).
PUBLIC_ROLE = "public"
#: What a signed link lets its holder do with its record.
LINK_ACTIONS = ("view", "answer", "set", "open", "redirect")
#: The key of a text given as a plain string (the same in every language).
ANY_LANGUAGE = ""
FALLBACK_LANGUAGE = DEFAULT_LOCALE

#: A text per language (``{en: Name, es: Nombre}``); a plain string is ``{"": text}``.
PublicText = Mapping[str, str]
_NO_TEXT: PublicText = MappingProxyType({})


def public_text(value: Any) -> PublicText:
    """A ``label: …`` value (a string or a language -> text mapping) as :data:`PublicText`."""
    if isinstance(value, str):
        return MappingProxyType({ANY_LANGUAGE: value})
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): v for k, v in value.items() if isinstance(v, str)})
    return _NO_TEXT


def pick_text(
    text: PublicText, languages: Sequence[str], default: str | None = None, fallback: str = ""
) -> str:
    """The text for the first of ``languages`` it has, else ``default``'s, else English.

    ``languages`` are the reader's preferences, best first (``es-MX`` also matches ``es``);
    the lookup is :func:`pick_local`, the one the screens' labels use.
    """
    if ANY_LANGUAGE in text:
        return text[ANY_LANGUAGE]
    found = pick_local(text, languages, default)
    return found if found is not None else next(iter(text.values()), fallback)


@dataclass(frozen=True, slots=True)
class PublicFieldDef:
    """One field a public form or signed link shows (with its own label, if given)."""

    name: str
    label: PublicText = field(default_factory=lambda: _NO_TEXT)
    help: PublicText = field(default_factory=lambda: _NO_TEXT)
    #: Required on this form even when the entity does not require it.
    required: bool = False
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class FormDef:
    """A public form: creates one record of ``entity`` from the fields shown.

    ``hidden`` values are set on every record it creates (visitors cannot change them);
    after a save the visitor sees ``success_message`` or is sent to ``success_redirect``.
    ``allowed_origins`` may embed the form (``frame-ancestors``) and post to it.
    """

    name: str
    entity: str
    fields: tuple[PublicFieldDef, ...]
    title: PublicText = field(default_factory=lambda: _NO_TEXT)
    description: PublicText = field(default_factory=lambda: _NO_TEXT)
    submit_label: PublicText = field(default_factory=lambda: _NO_TEXT)
    hidden: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    success_message: PublicText = field(default_factory=lambda: _NO_TEXT)
    success_redirect: str | None = None
    allowed_origins: tuple[str, ...] = ()
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class LinkDef:
    """A kind of signed link: what its holder may do with one record of ``entity``.

    ``view`` shows ``fields`` read-only (``layout: detail``: those of the entity's detail
    layout); ``answer`` lets the holder fill ``fields``; ``set`` asks for a confirmation,
    then stores the ``set`` values (e.g. unsubscribe); ``open`` stores them when the link
    is fetched and answers a 1x1 image (a tracking pixel); ``redirect`` stores them and
    sends the holder on to the address signed into the link (click tracking).
    """

    name: str
    entity: str
    action: str
    fields: tuple[PublicFieldDef, ...] = ()
    set_values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    layout: str | None = None
    single_use: bool = False
    #: Lifetime of a new link unless its issuer gives another, in days.
    expires_days: int = 30
    title: PublicText = field(default_factory=lambda: _NO_TEXT)
    description: PublicText = field(default_factory=lambda: _NO_TEXT)
    submit_label: PublicText = field(default_factory=lambda: _NO_TEXT)
    done_message: PublicText = field(default_factory=lambda: _NO_TEXT)
    source: SourceSpan = UNKNOWN_SOURCE
    #: ``withdraw_consent: {purpose, email}`` (set links): using the link also appends a
    #: withdrawn entry of ``purpose`` to the consent ledger for the record's ``email`` field.
    withdraw_purpose: str | None = None
    withdraw_email: str | None = None


__all__ = [
    "ANY_LANGUAGE",
    "LINK_ACTIONS",
    "PUBLIC_ROLE",
    "FormDef",
    "LinkDef",
    "PublicFieldDef",
    "PublicText",
    "pick_text",
    "public_text",
]
