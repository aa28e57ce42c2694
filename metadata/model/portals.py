"""Frozen definition of a public portal (``portals/<name>.yaml``): a searchable listing.

A portal shows the records of one entity that a declared condition makes public (a
knowledge base's published public articles, say) to anyone, under
``/p/{tenant}/{portal}``: a list with search, a page per record and, when declared, a
"was this helpful?" vote counted in two integer fields (see docs/portals.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from trellis.metadata.model.public import PublicFieldDef, PublicText
from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: Names a portal cannot take: the other public pages' first path segments.
RESERVED_PORTAL_NAMES = frozenset({"forms", "s", "static", "api", "chat"})
_NO_TEXT: PublicText = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PortalDef:
    """A public listing of ``entity``'s records matching every ``public_when`` value.

    ``public_when`` maps a field to the values that make a record public (all fields
    must match). ``heading`` is the field shown as each record's title, ``summary`` the
    line under it in the list, ``body`` the rich text of the record's page and
    ``fields`` what the page shows beside it. ``search`` are indexed fields the search
    box matches; ``language`` a field holding the record's language (the list shows the
    reader's); ``votes`` the two integer fields a "was this helpful?" vote adds one to.
    ``filters`` are enum fields the list can be narrowed by (``?category=faq``);
    ``translation_of`` a reference to the same entity naming the record a translation
    was made from: a page links to the other public records of its group.
    """

    name: str
    entity: str
    public_when: Mapping[str, tuple[Any, ...]]
    heading: str
    title: PublicText = field(default_factory=lambda: _NO_TEXT)
    description: PublicText = field(default_factory=lambda: _NO_TEXT)
    summary: str | None = None
    body: str | None = None
    fields: tuple[PublicFieldDef, ...] = ()
    search: tuple[str, ...] = ()
    language: str | None = None
    #: ``(helpful, not_helpful)`` counter fields, or None (no vote offered).
    votes: tuple[str, str] | None = None
    #: Field the list is ordered by, ``-`` first for newest/largest first.
    sort: str | None = None
    page_size: int = 20
    #: Enum fields the list offers as filters (one value each, from the query string).
    filters: tuple[str, ...] = ()
    #: Reference field to the original of a translation (groups translations).
    translation_of: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["RESERVED_PORTAL_NAMES", "PortalDef"]
