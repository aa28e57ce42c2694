"""Search text: one normalisation for indexing, querying and highlighting.

Text is NFC-composed, split into words of letters and digits (everything else, FTS
syntax included, separates words), and each word is case-folded with its accents
removed (NFKD, combining marks dropped): "José" and "JOSE" both become ``jose``. The
same Python code prepares what both backends store and what they are asked, so
SQLite and PostgreSQL find the same records without the ``unaccent`` extension.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from trellis.platform.records.errors import BadRequestError

#: Longest accepted search text (characters).
MAX_QUERY_LENGTH = 200
#: Most words of a search text that are matched.
MAX_WORDS = 8
#: Characters of one field's text that are indexed (PostgreSQL caps a tsvector at 1 MB).
MAX_FIELD_CHARS = 100_000
#: A word: letters and digits; quotes, ``*``, ``-``, parentheses … separate words.
WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """``word`` case-folded without accents (``José`` -> ``jose``)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text`` in order."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    found = (fold(w) for w in WORD.findall(text))
    return [w for w in found if w]


def index_text(text: str | None) -> str:
    """What the index stores for ``text``: its folded words separated by spaces (of the
    first ``MAX_FIELD_CHARS`` characters)."""
    if not text:
        return ""
    if len(text) > MAX_FIELD_CHARS:
        # Cut at a space so the last word kept is whole.
        text = text[:MAX_FIELD_CHARS].rsplit(None, 1)[0]
    return " ".join(words(text))


def query_words(raw: str | None) -> list[str]:
    """The folded words of a search text (at most ``MAX_WORDS``, duplicates dropped).

    Raises:
        BadRequestError: empty, too long, or holding a NUL character.
    """
    text = (raw or "").strip()
    if not text:
        message = "Give the text to search for as q=."
        raise BadRequestError(message, {"q": ["This parameter is required."]})
    if "\x00" in text:
        message = "The search text must not contain NUL characters."
        raise BadRequestError(message, {"q": [message]})
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequestError(
            f"The search text is longer than {MAX_QUERY_LENGTH} characters.",
            {"q": [f"At most {MAX_QUERY_LENGTH} characters."]},
        )
    return list(dict.fromkeys(words(text)))[:MAX_WORDS]


__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_QUERY_LENGTH",
    "MAX_WORDS",
    "WORD",
    "fold",
    "index_text",
    "query_words",
    "words",
]
