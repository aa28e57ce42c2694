"""Errors raised by the record service, each carrying its HTTP meaning."""

from __future__ import annotations

from typing import Any


class RecordError(Exception):
    """Base class: ``status`` is the HTTP status, ``errors`` maps field -> messages."""

    status = 400

    def __init__(
        self, message: str, errors: dict[str, list[str]] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        body: dict[str, Any] = {"errors": self.errors or {"__all__": [self.message]}}
        body.update(self.extra)
        return body


class BadRequestError(RecordError):
    """The request itself is malformed (400)."""

    status = 400


class ForbiddenError(RecordError):
    """The caller's roles do not allow this action (403)."""

    status = 403


class NotFoundError(RecordError):
    """Unknown entity or record (404)."""

    status = 404


class ConflictError(RecordError):
    """Stale version or another conflicting state (409)."""

    status = 409


class ValidationFailedError(RecordError):
    """One or more fields are invalid (422)."""

    status = 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("The record is not valid.", errors)


__all__ = [
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "NotFoundError",
    "RecordError",
    "ValidationFailedError",
]
