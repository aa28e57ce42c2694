"""The keyrings of a process's tenants: made on first use, read again after a rotation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.engines import EngineRegistry
from trellis.platform.privacy.keys import Keyring, add_key, master_keys, read_keys


class TenantKeyrings:
    """One :class:`Keyring` per tenant with encrypted fields.

    The first use makes the tenant's first data key if it has none; :meth:`forget`
    (called when the runtime forgets a tenant, e.g. after ``trellis keys rotate`` in
    another process) has its keys read again.
    """

    def __init__(
        self, config: RuntimeConfig, engines: EngineRegistry, now: Callable[[], datetime]
    ) -> None:
        self._config = config
        self._engines = engines
        self._now = now
        self._rings: dict[str, Keyring] = {}
        self._lock = threading.Lock()

    def keyring(self, tenant: str) -> Keyring:
        """The keyring of ``tenant`` (its first data key made now if needed)."""
        with self._lock:
            ring = self._rings.get(tenant)
            if ring is not None:
                return ring
        masters = master_keys(self._config)
        with self._engines.tenant_connection(tenant) as conn:
            held = bool(read_keys(conn, masters))
        if not held:
            with self._engines.tenant_connection(tenant, write=True) as conn, conn.begin():
                if not read_keys(conn, masters):
                    add_key(conn, masters, self._now())

        def load() -> dict[int, bytes]:
            with self._engines.tenant_connection(tenant) as conn:
                return read_keys(conn, masters)

        ring = Keyring(load)
        with self._lock:
            return self._rings.setdefault(tenant, ring)

    def forget(self, tenant: str) -> None:
        """Have ``tenant``'s keys read again on next use."""
        ring = self._rings.get(tenant)
        if ring is not None:
            ring.invalidate()


__all__ = ["TenantKeyrings"]
