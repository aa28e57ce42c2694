"""Listeners told about committed changes of a tenant (to invalidate caches)."""

from __future__ import annotations

import logging
from collections.abc import Callable

LOG = logging.getLogger("trellis.registry")
#: Called with the tenant name and what changed (``tenant``, ``members``, ``roles``, ``tokens``).
ChangeListener = Callable[[str, str], None]


class ChangeNotifier:
    """Keeps listeners and calls them after a change is committed."""

    def __init__(self) -> None:
        self._listeners: list[ChangeListener] = []

    def on_change(self, listener: ChangeListener) -> None:
        """Call ``listener(tenant, what)`` after every committed change of a tenant."""
        self._listeners.append(listener)

    def changed(self, tenant: str, what: str) -> None:
        """Tell every listener; a failing listener is logged (the change is committed)."""
        for listener in tuple(self._listeners):
            try:
                listener(tenant, what)
            except Exception:
                LOG.exception("change listener failed for tenant %r (%s)", tenant, what)


__all__ = ["ChangeListener", "ChangeNotifier"]
