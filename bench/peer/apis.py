"""How the peer workload talks to each system: URL layout, list query, answer shapes.

The workload (``workload.py``) is the same for every target; only these adapters differ.
Directus pages by number, Trellis and the baseline by keyset cursor (DESIGN.md §13).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any
from urllib.parse import urlparse

LOOPBACK = ("127.0.0.1", "localhost", "::1")

#: The list phase's query, as Directus spells it (bench_peer.py of the shared recipe).
LIST_SCORE_ABOVE = 50
LIST_EMAIL_CONTAINS = "x"
LIST_SORT = "-score"


def require_loopback(base: str) -> str:
    """``base`` if its host is a loopback address; a non-loopback target is refused."""
    host = urlparse(base).hostname
    if host not in LOOPBACK:
        raise ValueError(f"refusing non-loopback target {base!r}: only 127.0.0.1 is measured")
    return base.rstrip("/")


def matches_filter(row: dict[str, Any]) -> bool:
    """The list filter evaluated by the client (case-insensitive ``contains``)."""
    score, email = row.get("score"), row.get("email")
    return (
        isinstance(score, int)
        and score > LIST_SCORE_ABOVE
        and isinstance(email, str)
        and LIST_EMAIL_CONTAINS in email.lower()
    )


class Api(ABC):
    """The interface the workload drives; each target says how it spells each call."""

    name = "api"
    created_at_field = "created_at"
    naive_datetimes = True

    def __init__(self, base: str, token: str) -> None:
        self.base = require_loopback(base)
        self.headers = {"Authorization": f"Bearer {token}"}

    def payload(self, row: dict[str, Any]) -> dict[str, Any]:
        """The create body for a generated row."""
        out = dict(row)
        stamp = out.pop("created_at")
        out[self.created_at_field] = stamp if self.naive_datetimes else stamp + "Z"
        return out

    @abstractmethod
    def create_path(self) -> str:
        """The path a single create is posted to."""

    @abstractmethod
    def bulk_path(self) -> str:
        """The path a batch of creates is posted to."""

    @abstractmethod
    def read_path(self, record_id: int) -> str:
        """The path of one record."""

    @abstractmethod
    def list_path(self) -> str:
        """The path of the filtered list."""

    @abstractmethod
    def list_params(self, limit: int, page: int, cursor: str | None) -> dict[str, str]:
        """The query of one list page (filter, sort, page or cursor)."""

    @abstractmethod
    def ids_params(self, limit: int, page: int, cursor: str | None) -> dict[str, str]:
        """The query of one page of ids only (the read phase picks from them)."""

    @abstractmethod
    def created(self, body: Any) -> dict[str, Any]:
        """The record in a create answer."""

    @abstractmethod
    def bulk_created(self, body: Any) -> list[dict[str, Any]]:
        """The records a bulk answer says it stored (raises when any item failed)."""

    @abstractmethod
    def rows(self, body: Any) -> list[dict[str, Any]]:
        """The rows of a list answer."""

    def next_cursor(self, body: Any) -> str | None:
        """The next page's cursor, for cursor-paged APIs."""
        return None

    @abstractmethod
    def record(self, body: Any) -> dict[str, Any]:
        """The record of a read answer."""


class DirectusApi(Api):
    """Directus 12.4 REST: ``/items/contacts``, answers wrapped in ``{"data": ...}``."""

    name = "directus"
    collection = "contacts"

    def create_path(self) -> str:
        return f"/items/{self.collection}"

    bulk_path = create_path
    list_path = create_path

    def read_path(self, record_id: int) -> str:
        return f"/items/{self.collection}/{record_id}"

    def list_params(self, limit: int, page: int, cursor: str | None) -> dict[str, str]:
        return {
            "filter[score][_gt]": str(LIST_SCORE_ABOVE),
            "filter[email][_contains]": LIST_EMAIL_CONTAINS,
            "sort": LIST_SORT,
            "limit": str(limit),
            "page": str(page),
        }

    def ids_params(self, limit: int, page: int, cursor: str | None) -> dict[str, str]:
        return {"fields": "id", "sort": "id", "limit": str(limit), "page": str(page)}

    def created(self, body: Any) -> dict[str, Any]:
        return dict(body["data"])

    def bulk_created(self, body: Any) -> list[dict[str, Any]]:
        return list(body["data"])

    def rows(self, body: Any) -> list[dict[str, Any]]:
        return list(body["data"])

    def record(self, body: Any) -> dict[str, Any]:
        return dict(body["data"])


class TrellisApi(Api):
    """Trellis's tenant API (DESIGN.md §7, §13); the hand-written baseline speaks it too."""

    name = "trellis"
    created_at_field = "client_created_at"
    naive_datetimes = False

    def __init__(self, base: str, token: str, tenant: str, entity: str = "item") -> None:
        super().__init__(base, token)
        self.prefix = f"/t/{tenant}/api/{entity}"

    def create_path(self) -> str:
        return self.prefix

    def bulk_path(self) -> str:
        return f"{self.prefix}/bulk"

    def list_path(self) -> str:
        return self.prefix

    def read_path(self, record_id: int) -> str:
        return f"{self.prefix}/{record_id}"

    def list_params(self, limit: int, page: int, cursor: str | None) -> dict[str, str]:
        text = json.dumps(LIST_EMAIL_CONTAINS)
        query = f"score > {LIST_SCORE_ABOVE} and email contains {text}"
        params = {"filter": query, "sort": LIST_SORT, "limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        return params

    def ids_params(self, limit: int, page: int, cursor: str | None) -> dict[str, str]:
        params = {"fields": "id", "sort": "id", "limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        return params

    def created(self, body: Any) -> dict[str, Any]:
        return dict(body)

    def bulk_created(self, body: Any) -> list[dict[str, Any]]:
        if body.get("failed"):
            raise ValueError(f"the bulk answer reports {body['failed']} failed items")
        return [item["record"] for item in body["items"]]

    def rows(self, body: Any) -> list[dict[str, Any]]:
        return list(body["items"])

    def next_cursor(self, body: Any) -> str | None:
        cursor = body.get("next_cursor")
        return cursor if isinstance(cursor, str) else None

    def record(self, body: Any) -> dict[str, Any]:
        return dict(body)
