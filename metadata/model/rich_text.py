"""Rich text: HTML cleaned by an allow-list (nh3) and its plain text for searching.

A ``rich_text`` value is stored as the output of :func:`sanitise`: only the tags and
attributes below survive, ``<script>``/``<style>`` lose their content, event handlers,
``style`` and ``javascript:`` URLs are dropped, and links get
``rel="noopener noreferrer"``. :func:`plain_text` is what search and the rule
language read: the words without the tags.
"""

from __future__ import annotations

from html.parser import HTMLParser

#: Longest rich text accepted from a client (characters of HTML before cleaning).
MAX_RICH_TEXT_LENGTH = 65_536

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "u",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: Tags whose content is dropped with them (not kept as text).
_DROPPED_WITH_CONTENT = frozenset({"script", "style"})
#: Tags that separate words when the plain text is taken.
_BREAKS = ALLOWED_TAGS - {"a", "b", "code", "em", "i", "s", "strong", "sub", "sup", "u"}


#: Prefix of the hidden column holding a rich_text field's plain text (field names
#: cannot start with ``_``, so it never meets a field).
PLAIN_PREFIX = "_plain_"


def plain_column(field: str) -> str:
    """The hidden column that holds the plain text of rich_text field ``field``."""
    return f"{PLAIN_PREFIX}{field}"


def sanitise(html: str) -> str:
    """The HTML with only allowed tags, attributes and URL schemes kept.

    Idempotent: sanitising an already sanitised text returns it unchanged.
    """
    import nh3  # on the first rich text written: readers never load it

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _TextCollector(HTMLParser):
    """Collects the text of an HTML fragment, a space at each block boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The words of a sanitised HTML text, tags removed and white space collapsed."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())


__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "MAX_RICH_TEXT_LENGTH",
    "PLAIN_PREFIX",
    "URL_SCHEMES",
    "plain_column",
    "plain_text",
    "sanitise",
]
