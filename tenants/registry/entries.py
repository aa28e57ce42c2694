"""The registry's entries as the runtime sees them, its errors and small helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

Connect = Callable[..., sa.Connection]
#: Where the registry asks the time (the runtime passes its clock's ``now``).
Now = Callable[[], datetime]


class RegistryError(Exception):
    """A registry operation was refused; the message is meant for the user."""


class VersionConflictError(RegistryError):
    """The tenant's published version is no longer the one a change was based on."""

    def __init__(self, tenant: str, expected: int | None, current: int | None) -> None:
        super().__init__(
            f"Tenant '{tenant}' changed since version {expected}: it is at version {current}."
        )
        self.expected = expected
        self.current = current


@dataclass(frozen=True, slots=True)
class TenantInfo:
    """A tenant as the runtime needs it."""

    id: int
    name: str
    label: str
    current_version: int | None


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    """Who a valid API token speaks for."""

    token_id: int
    user_id: int
    email: str
    tenant_id: int
    tenant: str
    roles: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class MetadataVersion:
    """One published version of a tenant's app package."""

    tenant_id: int
    version_no: int
    app_name: str
    app_version: str
    digest: str
    files: Mapping[str, str]
    published_at: datetime


def utcnow() -> datetime:
    """The current time in UTC, aware."""
    return datetime.now(UTC)


def inserted_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT added."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no primary key for the insert")
    return int(key[0])


def aware(value: datetime | None) -> datetime | None:
    """``value`` with UTC attached when the database gave it back naive."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


__all__ = [
    "Connect",
    "MetadataVersion",
    "Now",
    "RegistryError",
    "TenantInfo",
    "TokenIdentity",
    "VersionConflictError",
    "aware",
    "inserted_id",
    "utcnow",
]
