"""Which language a public page speaks, and its texts in it.

The reader's ``Accept-Language`` picks a declared text (``{en: …, es: …}``), falling back
to the tenant's default language, then English. The header is parsed and the text looked
up by platform/i18n's helpers (``accepted_languages``, ``pick_local``), the ones screens
use; a public page may offer any language its texts declare, not only the shipped ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trellis.metadata.model import PublicText, pick_text
from trellis.platform.i18n import Translator
from trellis.platform.i18n.negotiation import accepted_languages, supported


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

    @property
    def translator(self) -> Translator:
        """The platform's own wording (errors, buttons, thanks) in the first accepted
        language the catalogues ship, else the tenant's default, else English."""
        for tag in self.languages:
            found = supported(tag)
            if found:
                return Translator(found)
        return Translator(self.default or "en")

    def context(self, **extra: Any) -> dict[str, Any]:
        """A template context with ``lang`` and the translator (``_()``, ``|msg``) set."""
        return {"lang": self.lang, "i18n": self.translator, **extra}


__all__ = ["PageText", "accepted_languages"]
