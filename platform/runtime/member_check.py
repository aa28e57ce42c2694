"""Whether a user is an active member of a tenant, asked on saves that give a new owner.

A save that gives a record an owner asks this once per new owner; a demo load or an
import does so thousands of times, so positive answers are kept for ``ttl`` seconds of
the runtime's clock. A membership change drops the tenant's answers at once in this
process (the registry tells the runtime, which forgets the tenant) and, like every
other cached answer about members, reaches other processes within two seconds. A
negative answer is never kept: a member just added is accepted at once.
"""

from __future__ import annotations

import threading

from trellis.platform.config import Clock
from trellis.tenants.registry import TenantRegistry

#: How long a "yes, a member" answer is reused (seconds of the runtime's clock).
MEMBER_CHECK_SECONDS = 2.0
#: Most answers kept (all are dropped when it is reached).
MAX_ANSWERS = 10_000


class MemberCheck:
    """``check(tenant, user_id)``: is the user an active member of the tenant?"""

    def __init__(
        self, registry: TenantRegistry, clock: Clock, ttl: float = MEMBER_CHECK_SECONDS
    ) -> None:
        self.registry = registry
        self.clock = clock
        self.ttl = ttl
        self._yes: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant: str, user_id: int) -> bool:
        now = self.clock.monotonic()
        key = (tenant, user_id)
        with self._lock:
            since = self._yes.get(key)
        if since is not None and now - since < self.ttl:
            return True
        if self.registry.member_identity(tenant, user_id) is None:
            return False
        with self._lock:
            if len(self._yes) >= MAX_ANSWERS:
                self._yes.clear()
            self._yes[key] = now
        return True

    def forget(self, tenant: str) -> None:
        """Drop the answers about ``tenant`` (its members changed)."""
        with self._lock:
            for key in [k for k in self._yes if k[0] == tenant]:
                del self._yes[key]


__all__ = ["MAX_ANSWERS", "MEMBER_CHECK_SECONDS", "MemberCheck"]
