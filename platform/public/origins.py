"""The origin check of public posts: CSRF-free by design (no cookie grants anything).

A browser names the page a post comes from in ``Origin`` (or, failing that, ``Referer``);
it must be the server's own origin or one of the form's ``allowed_origins``. A request
with neither header is not a browser's cross-site post (scripts elsewhere can send any
header they like), so it is let through to the rate limit and the save pipeline.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(
    origin: str | None, referer: str | None, own: str, allowed: Collection[str]
) -> bool:
    """Whether a post naming ``origin``/``referer`` may reach a form served at ``own``.

    ``origin: null`` (sandboxed frames, privacy redirects) is refused.
    """
    accepted = {own.lower(), *(a.lower().rstrip("/") for a in allowed)}
    if origin is not None:
        return origin.strip().lower() in accepted
    if referer:
        found = _origin_of(referer.strip())
        return found is not None and found in accepted
    return True


__all__ = ["origin_allowed"]
