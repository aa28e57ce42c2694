"""Which language a public page speaks, and its texts in it.

The reader's ``Accept-Language`` picks a declared text (``{en: …, es: …}``), falling back
to the tenant's default language, then English. One small module on purpose, so the
platform-wide locale choice can replace it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trellis.metadata.model import PublicText, pick_text

#: Most languages read from one header (longer lists are cut).
MAX_LANGUAGES = 10


def accepted_languages(header: str | None) -> list[str]:
    """Language tags of an ``Accept-Language`` header, best first (``*`` and junk dropped)."""
    found: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:MAX_LANGUAGES]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if weight > 0:
            found.append((-weight, index, tag))
    return [tag for _, _, tag in sorted(found)]


class PageText:
    """Picks texts for one request: its languages and the tenant's default."""

    def __init__(self, header: str | None, default: str | None, known: Iterable[str] = ()) -> None:
        self.languages = accepted_languages(header)
        self.default = default
        #: Languages the page's declared texts are written in.
        self.known = {k.split("-", 1)[0] for k in known if k}

    def __call__(self, text: PublicText, fallback: str = "") -> str:
        """``text`` in the reader's language, else ``fallback`` when nothing is declared."""
        return pick_text(text, self.languages, self.default, fallback) or fallback

    @property
    def lang(self) -> str:
        """The ``<html lang>`` value: the first accepted language the texts are written in,
        else the tenant's default, else English."""
        for tag in self.languages:
            if tag.split("-", 1)[0] in self.known:
                return tag.split("-", 1)[0]
        return (self.default or "en").split("-", 1)[0]

    def context(self, **extra: Any) -> dict[str, Any]:
        """A template context with ``lang`` set."""
        return {"lang": self.lang, **extra}


__all__ = ["PageText", "accepted_languages"]
