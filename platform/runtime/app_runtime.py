"""One tenant's app version at run time: the compiled app and what is built from it.

The runtime's LRU (runtime/core.py) holds one :class:`AppRuntime` per (tenant,
version) and drops it with the same invalidation as the compiled app, so nothing
built per app version lives in module globals or side tables keyed by the app.
Parts owned by other packages (the record service and its save hooks, the workflow
runner, the OpenAPI document, timer runners...) are built on first use through
:meth:`AppRuntime.part`, once, under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from trellis.platform.records.compiled import CompiledApp

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class PartKey(Generic[T]):
    """The typed name of one part built per app version (compared by identity)."""

    name: str


@dataclass(eq=False)
class AppRuntime:
    """The compiled app of one (tenant, version) and the parts built from it."""

    tenant: str
    tenant_id: int
    app: CompiledApp
    _parts: dict[PartKey[Any], Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def version_no(self) -> int:
        """The metadata version this runtime serves."""
        return self.app.version_no

    def part(self, key: PartKey[T], build: Callable[[AppRuntime], T]) -> T:
        """The part ``key``, built by ``build(self)`` on first use (once per version)."""
        try:
            return self._parts[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self._lock:
            if key not in self._parts:
                self._parts[key] = build(self)
            return self._parts[key]  # type: ignore[no-any-return]


__all__ = ["AppRuntime", "PartKey"]
