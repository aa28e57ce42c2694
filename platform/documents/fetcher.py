"""The only resources a document may load: ``data:`` URIs, nothing from files or the net."""

from __future__ import annotations

from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedResourceError(ValueError):
    """A template asked for a file or network resource."""


class DataOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """WeasyPrint's fetcher, refusing every URL that is not ``data:``.

    Templates come from tenants' packages: an ``<img src="http://…">`` would let a
    tenant make the server call any address (internal ones too), a ``file:`` URL
    would print the server's files. WeasyPrint skips a refused resource and renders
    the rest of the page.
    """

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Fetch ``url`` only when it is a ``data:`` URI.

        Raises:
            RefusedResourceError: any other scheme.
        """
        if not url.strip().lower().startswith("data:"):
            raise RefusedResourceError(f"resource '{url[:80]}' refused: only data: URIs")
        return super().fetch(url, headers)


__all__ = ["DataOnlyFetcher", "RefusedResourceError"]
