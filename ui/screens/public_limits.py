"""The per-address limit of public posts (form submissions, signed-link actions).

The same fixed one-minute windows as the API's limits (platform/api/rate_limit.py), in
this process or in Redis when ``TRELLIS_REDIS_URL`` is set, counted per tenant and
client address, at ``RuntimeConfig.rate_limit_public`` posts a minute (0: off). Call
:meth:`PublicLimiter.check` off the event loop: with Redis it waits on the network.
"""

from __future__ import annotations

import logging
import math

from trellis.platform.api.rate_limit import WINDOW, rate_counter
from trellis.platform.config.redis_client import redis_error
from trellis.platform.runtime import Runtime

LOG = logging.getLogger("trellis.public")


class PublicLimiter:
    """Counts public posts per (tenant, address) and says when one is over the limit."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.limit = runtime.config.rate_limit_public
        self.counter, self.close = rate_counter(runtime.config)

    def check(self, tenant: str, address: str | None) -> int | None:
        """Count one post; the seconds to wait when it is over the limit, else None."""
        if self.limit <= 0:
            return None
        now = self.runtime.clock.now().timestamp()
        window = int(now // WINDOW)
        try:
            count = self.counter.hit(f"public:{tenant}:{address or '-'}", window)
        except redis_error() as exc:
            LOG.warning("public rate limit not checked: Redis is unreachable (%s)", exc)
            return None
        if count <= self.limit:
            return None
        return max(1, math.ceil((window + 1) * WINDOW - now))


__all__ = ["PublicLimiter"]
