"""Who is signed in and who the tenant's members are, cached for two seconds.

Role, membership and user changes reach screens within the same two seconds as API
tokens (``TOKEN_CACHE_SECONDS``), without three system-database queries per page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from trellis.platform.api.auth import TOKEN_CACHE_SECONDS
from trellis.platform.config import Clock, SystemClock
from trellis.platform.identity.preferences import UserPreferences
from trellis.tenants.registry import TenantRegistry, TokenIdentity

T = TypeVar("T")
MAX_ENTRIES = 10_000


class MemberCache:
    """Short-lived answers of the registry used on every page."""

    def __init__(
        self,
        registry: TenantRegistry,
        ttl: float = TOKEN_CACHE_SECONDS,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.registry = registry
        self.ttl = ttl
        self._clock: Clock = clock or SystemClock()
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self.preferences = UserPreferences(registry, clock=self._clock)

    def _cached(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        now = self._clock.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            value: T = hit[1]
            return value
        value = load()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def forget(self, tenant: str) -> None:
        """Drop the answers about ``tenant`` and every user's tenant list."""
        with self._lock:
            for key in list(self._entries):
                if key[0] == "tenants" or key[1] == tenant:
                    del self._entries[key]

    def identity(self, tenant: str, user_id: int) -> TokenIdentity | None:
        """The member's identity (roles) in ``tenant``, or None when no longer a member."""
        return self._cached(
            ("identity", tenant, user_id), lambda: self.registry.member_identity(tenant, user_id)
        )

    def tenants(self, user_id: int) -> list[str]:
        """The tenants the user belongs to (for the tenant switcher)."""
        return self._cached(("tenants", user_id), lambda: self.registry.user_tenants(user_id))

    def locale(self, user_id: int) -> str | None:
        """The member's own locale setting (None: follow the tenant and the browser)."""
        return self._cached(("locale", user_id), lambda: self.preferences.locale(user_id))

    def timezone(self, user_id: int) -> str | None:
        """The member's own time zone setting (None: the tenant's ``timezone``)."""
        return self._cached(("timezone", user_id), lambda: self.preferences.timezone(user_id))

    def density(self, user_id: int) -> str:
        """The member's list density (``comfortable`` or ``compact``)."""
        return self._cached(("density", user_id), lambda: self.preferences.density(user_id))

    def forget_locale(self, user_id: int) -> None:
        """Drop the cached locale, time zone and density of ``user_id`` after they changed."""
        with self._lock:
            self._entries.pop(("locale", user_id), None)
            self._entries.pop(("timezone", user_id), None)
            self._entries.pop(("density", user_id), None)

    def names(self, tenant: str) -> dict[int, str]:
        """Display names of the tenant's members by user id."""
        return self._cached(("names", tenant), lambda: self.registry.member_names(tenant))


__all__ = ["MemberCache"]
