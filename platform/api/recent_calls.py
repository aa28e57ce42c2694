"""Calls authenticated in the last moment, answered on the event loop without a thread.

Authenticating a bearer token (token, tenant version, enforcer, member profile) may touch
the database, so it runs in a worker thread; when every part is cached that thread hop
costs more than the work. A call is kept for at most the runtime's version-check
interval (the staleness every cache it is built from already allows), keyed by tenant
and ``Authorization`` header, and dropped at once when the tenant is forgotten (roles,
tokens or members changed, here or in another process). Refusals are never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from trellis.platform.authz.call import Call
from trellis.platform.config import Clock

#: Calls kept at most (oldest out): one per active token of the process.
MAX_RECENT_CALLS = 4096


class RecentCalls:
    """Successful calls of the last ``seconds``, by (tenant, Authorization header)."""

    def __init__(self, clock: Clock, seconds: float, size: int = MAX_RECENT_CALLS) -> None:
        self._clock = clock
        self._seconds = seconds
        self._size = size
        self._calls: OrderedDict[tuple[str, str], tuple[Call, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: str, authorization: str | None) -> Call | None:
        """The call kept for this header, while it is fresh."""
        if not authorization:
            return None
        key = (tenant, authorization)
        with self._lock:
            found = self._calls.get(key)
            if found is None:
                return None
            if self._clock.monotonic() - found[1] >= self._seconds:
                del self._calls[key]
                return None
            return found[0]

    def keep(self, tenant: str, authorization: str, call: Call) -> None:
        """Remember a call that was just authenticated."""
        with self._lock:
            self._calls[(tenant, authorization)] = (call, self._clock.monotonic())
            self._calls.move_to_end((tenant, authorization))
            while len(self._calls) > self._size:
                self._calls.popitem(last=False)

    def forget(self, tenant: str) -> None:
        """Drop every call kept for ``tenant``."""
        with self._lock:
            for key in [k for k in self._calls if k[0] == tenant]:
                del self._calls[key]


__all__ = ["MAX_RECENT_CALLS", "RecentCalls"]
