"""Text declared in metadata that may carry one value per locale.

A label may be a plain string or ``{en: Account, es: Cuenta}``. Either way the model
keeps a ``str`` (so every caller that shows a label keeps working); a per-locale value
is a :class:`LocalText`, a ``str`` whose own text is the English (or first) value and
which knows its other translations. :func:`label_for` picks the locale's value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

#: Locales the platform ships catalogues for; metadata may declare values for these.
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "es")
#: The locale used when nothing else chooses one.
DEFAULT_LOCALE = "en"


class LocalText(str):
    """A ``str`` holding its default text, plus its value in each declared locale."""

    by_locale: Mapping[str, str]

    def __new__(cls, by_locale: Mapping[str, str]) -> LocalText:
        """Build from ``{locale: text}``; the text is ``en``'s value, else the first."""
        values = {key: value for key, value in by_locale.items() if value}
        default = values.get(DEFAULT_LOCALE) or next(iter(values.values()), "")
        text = super().__new__(cls, default)
        text.by_locale = MappingProxyType(values)
        return text

    def get(self, locale: str) -> str:
        """The value for ``locale`` (``es_MX`` tries ``es``), else the default text."""
        found = self.by_locale.get(locale)
        if found is None:
            found = pick_local(self.by_locale, (locale,))
        return found if found is not None else str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalText, (dict(self.by_locale),))


def pick_local(
    texts: Mapping[str, str], languages: Sequence[str], default: str | None = None
) -> str | None:
    """The text of the first of ``languages`` that ``texts`` declares, else ``default``'s,
    else English's; None when it declares none of them.

    The one lookup of per-locale text, for screens (:meth:`LocalText.get`) and public
    pages (``pick_text``): a tag is tried as given (lowercase), then its language
    (``es-MX`` and ``es_MX`` try ``es``).
    """
    for tag in (*languages, default or DEFAULT_LOCALE, DEFAULT_LOCALE):
        wanted = tag.lower()
        for candidate in (wanted, wanted.replace("_", "-").split("-", 1)[0]):
            if candidate in texts:
                return texts[candidate]
    return None


def local_text(value: Any) -> str | None:
    """A metadata value as text: a string as is, a ``{locale: text}`` mapping as LocalText.

    Returns None for anything else (the JSON Schema reports it) and for an empty mapping.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        texts = {str(k): v for k, v in value.items() if isinstance(v, str) and v}
        return LocalText(texts) if texts else None
    return None


def label_for(text: str | None, locale: str) -> str:
    """``text`` in ``locale``: a LocalText's translation, a plain string as is."""
    if text is None:
        return ""
    if isinstance(text, LocalText):
        return text.get(locale)
    return text


class Translatable(str):
    """A platform message that screens can show in the reader's language.

    Its text is the English message (``msgid % params``), so code that treats it as a
    ``str`` keeps working; ``msgid`` and ``params`` let a translator look it up in the
    catalogue (``Translatable("Must be at least %(min)s.", min=3)``).
    """

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Translatable:
        """Build the message; ``params`` fill the ``%(name)s`` placeholders of ``msgid``."""
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid = msgid
        text.params = MappingProxyType(params)
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_translatable, (self.msgid, dict(self.params)))


def listed(items: Sequence[str]) -> str:
    """``items`` joined with commas, each still translatable when it is a Translatable."""
    if len(items) <= 1:
        return items[0] if items else ""
    return Translatable("%(first)s, %(rest)s", first=items[0], rest=listed(items[1:]))


def _rebuild_translatable(msgid: str, params: dict[str, Any]) -> Translatable:
    return Translatable(msgid, **params)


__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "LocalText",
    "Translatable",
    "label_for",
    "listed",
    "local_text",
    "pick_local",
]
