"""Which locale a request is answered in: the member's, the tenant's, the browser's, or en."""

from __future__ import annotations

from babel.core import negotiate_locale

from trellis.metadata.model.local_text import DEFAULT_LOCALE, SUPPORTED_LOCALES

MAX_HEADER_LENGTH = 512
#: Most languages a public page reads from one header (longer lists are cut).
MAX_LANGUAGES = 10
#: The longest language tag taken (RFC 5646's practical limit).
MAX_TAG_LENGTH = 35


def supported(locale: str | None) -> str | None:
    """``locale`` as a shipped locale (``es-MX`` and ``es_MX`` give ``es``), else None."""
    if not locale:
        return None
    base = locale.strip().replace("-", "_").split("_", 1)[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def accepted_languages(header: str | None, most: int | None = MAX_LANGUAGES) -> list[str]:
    """Language tags of an ``Accept-Language`` header, lowercase, best first by ``q``
    (the first ``most`` entries; ``*``, weight 0 and malformed entries dropped).

    The one parser of the header, for screens (:func:`accepted_locale`) and public pages.
    """
    found: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:most]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag or tag == "*" or len(tag) > MAX_TAG_LENGTH:
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


def accepted_locale(header: str | None) -> str | None:
    """The best shipped locale of an ``Accept-Language`` header, or None.

    Entries are ordered by their ``q`` weight; malformed entries are skipped, never an
    error (a browser's header is not the user's fault).
    """
    if not header:
        return None
    preferred = [t.replace("_", "-") for t in accepted_languages(header[:MAX_HEADER_LENGTH], None)]
    found = negotiate_locale(preferred, list(SUPPORTED_LOCALES), sep="-")
    return supported(found) if found else None


def choose_locale(
    user: str | None = None, tenant: str | None = None, accept_language: str | None = None
) -> str:
    """The member's setting, else the tenant default, else Accept-Language, else ``en``.

    An unknown or unsupported value at any step is skipped silently.
    """
    return (
        supported(user) or supported(tenant) or accepted_locale(accept_language) or (DEFAULT_LOCALE)
    )


__all__ = ["accepted_languages", "accepted_locale", "choose_locale", "supported"]
