"""File names as stored and shown: the last path part of what the client sent, cleaned."""

from __future__ import annotations

import unicodedata

#: Longest stored name (characters); the extension is kept when a name is cut.
MAX_NAME = 200
_FALLBACK = "file"


def clean_name(raw: str | None) -> str:
    """The name without any folder part, control characters or leading dots.

    ``../../etc/passwd`` becomes ``passwd``, ``C:\\Users\\a\\offer.pdf`` becomes
    ``offer.pdf``; an empty result is ``file``. Accents are kept (NFC).
    """
    text = unicodedata.normalize("NFC", raw or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.strip().lstrip(".").strip()
    if not text:
        return _FALLBACK
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            text = text[:MAX_NAME]
    return text


__all__ = ["MAX_NAME", "clean_name"]
