"""Which locale a request is answered in: the member's, the tenant's, the browser's, or en."""

from __future__ import annotations

from babel.core import negotiate_locale

from trellis.metadata.model.local_text import DEFAULT_LOCALE, SUPPORTED_LOCALES

MAX_HEADER_LENGTH = 512


def supported(locale: str | None) -> str | None:
    """``locale`` as a shipped locale (``es-MX`` and ``es_MX`` give ``es``), else None."""
    if not locale:
        return None
    base = locale.strip().replace("-", "_").split("_", 1)[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def accepted_locale(header: str | None) -> str | None:
    """The best shipped locale of an ``Accept-Language`` header, or None.

    Entries are ordered by their ``q`` weight; malformed entries are skipped, never an
    error (a browser's header is not the user's fault).
    """
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_HEADER_LENGTH].split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and weight > 0:
            weighted.append((-weight, index, tag.strip()))
    preferred = [tag.replace("_", "-") for _, _, tag in sorted(weighted)]
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


__all__ = ["accepted_locale", "choose_locale", "supported"]
