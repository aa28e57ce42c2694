"""Highlighted snippets: a short, HTML-escaped piece of a field with the matched words
in ``<mark>``.

Matching follows the index: a word of the text matches when its folded form starts
with a folded search word, so "jose" marks "José" and "gar" marks "García".
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

from trellis.platform.search.text import WORD, fold

#: Characters of context kept before the first match and in the whole snippet.
BEFORE = 40
LENGTH = 160
ELLIPSIS = "…"


def _spans(text: str, prefixes: Sequence[str]) -> list[tuple[int, int]]:
    return [
        m.span()
        for m in WORD.finditer(text)
        if any(fold(m.group()).startswith(p) for p in prefixes)
    ]


def snippet(text: str, prefixes: Sequence[str]) -> str | None:
    """A snippet of ``text`` around its first match, or None when nothing matches."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    spans = _spans(text, prefixes)
    if not spans:
        return None
    start = max(0, spans[0][0] - BEFORE)
    if start:
        space = text.find(" ", start, spans[0][0])
        start = space + 1 if space != -1 else start
    end = min(len(text), start + LENGTH)
    if end < len(text):
        space = text.rfind(" ", max(spans[0][1], start), end)
        end = space if space > spans[0][1] else max(end, spans[0][1])
    parts = [ELLIPSIS] if start else []
    cursor = start
    for a, b in spans:
        if a < start or b > end:
            continue
        parts += [html.escape(text[cursor:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        cursor = b
    parts.append(html.escape(text[cursor:end]))
    if end < len(text):
        parts.append(ELLIPSIS)
    return "".join(parts)


__all__ = ["snippet"]
