"""Languages: gettext catalogues, locale choice, metadata labels and formats per locale.

``Translator(locale)`` is the one object other code uses: ``gettext`` for platform
wording, ``label`` for metadata text, ``value_label`` for enum/stage/state values,
and ``date``/``number``/``money`` for values. ``choose_locale`` picks the locale.
"""

from trellis.metadata.model.local_text import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    LocalText,
    Translatable,
    label_for,
)
from trellis.platform.i18n.catalogue import N_, read_catalogue, translations
from trellis.platform.i18n.negotiation import accepted_locale, choose_locale, supported
from trellis.platform.i18n.translator import Translator, localized

__all__ = [
    "DEFAULT_LOCALE",
    "N_",
    "SUPPORTED_LOCALES",
    "LocalText",
    "Translatable",
    "Translator",
    "accepted_locale",
    "choose_locale",
    "label_for",
    "localized",
    "read_catalogue",
    "supported",
    "translations",
]
