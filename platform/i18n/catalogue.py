"""The platform's gettext catalogues, read from the ``.po`` sources shipped in the package.

The ``.po`` files are loaded with Babel and compiled in memory the first time a locale
is used, then kept for the life of the process (they never change while it runs).
There is no build step: the same code works from a source checkout, an editable
install and a wheel, and a catalogue cannot go stale against its ``.po`` source.
Reading both catalogues takes a few milliseconds, once.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from trellis.metadata.model.local_text import SUPPORTED_LOCALES

DOMAIN = "messages"


def po_path(locale: str) -> str:
    """The package-relative path of ``locale``'s ``.po`` source."""
    return f"locales/{locale}/LC_MESSAGES/{DOMAIN}.po"


def read_catalogue(locale: str) -> Catalog:
    """Parse ``locale``'s ``.po`` source into a Babel catalogue.

    Raises:
        FileNotFoundError: the platform ships no catalogue for ``locale``.
    """
    source = files("trellis.platform.i18n").joinpath(po_path(locale))
    with source.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (shown later)."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled translations of ``locale``; identity for a locale with no catalogue."""
    if locale not in SUPPORTED_LOCALES:
        return NullTranslations()
    buffer = BytesIO()
    # Fuzzy entries are drafts, not translations: leave them out like msgfmt does.
    write_mo(buffer, read_catalogue(locale), use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


__all__ = ["DOMAIN", "N_", "po_path", "read_catalogue", "translations"]
