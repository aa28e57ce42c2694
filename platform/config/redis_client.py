"""Redis clients that fail fast, with the redis package imported only when one is made.

Redis is optional (the embedded default runs without it), so the modules that can use
it import it here on first use: a process that never talks to Redis does not pay for
the package (about 20 MiB of resident memory, bench/RESULTS.md "Idle memory").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis import Redis


def fast_failing_client(url: str, **options: Any) -> Redis:
    """A client for ``url`` with ``options`` that retries once at once, never with backoff.

    The client's default backoff waits seconds per failed call; with Redis down, every
    caller would hang that long instead of falling back.
    """
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Redis.from_url(url, retry=Retry(NoBackoff(), 1), **options)


def redis_error() -> type[Exception]:
    """The base class of the redis package's errors (for an ``except`` clause)."""
    from redis.exceptions import RedisError

    return RedisError


__all__ = ["fast_failing_client", "redis_error"]
