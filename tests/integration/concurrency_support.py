"""Several in-process servers over one database, driven from client threads.

Each server is its own :class:`Runtime` (engines, caches) and its own Litestar app
behind its own ``TestClient`` event loop, as separate ``trellis serve`` processes
would be; the threads of a test therefore reach the database at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from litestar.testing import TestClient

from trellis.platform.api.app import create_app
from trellis.platform.config import RuntimeConfig
from trellis.platform.runtime import Runtime

from helpers import Api


@contextmanager
def servers(config: RuntimeConfig, count: int) -> Iterator[list[TestClient]]:  # type: ignore[type-arg]
    """``count`` independent servers over the databases of ``config`` (no rate limits;
    the tenant's version checked once a second, as by default: nothing is published while
    they race)."""
    unlimited = config.with_overrides(
        rate_limit_token=0, rate_limit_ip=0, version_check_interval=1.0
    )
    with ExitStack() as stack:
        clients = []
        for _ in range(count):
            runtime = Runtime(unlimited)
            stack.callback(runtime.close)
            clients.append(stack.enter_context(TestClient(app=create_app(runtime))))
        yield clients


def run_threads(work: Callable[[int], Any], count: int, deadline: float) -> list[Any]:
    """Run ``work(i)`` for i in 0..count-1 in threads; their results, or the first error."""
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait(30)
            results[index] = work(index)
        except BaseException as exc:  # reported to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "client threads ran out of time"
    if errors:
        raise errors[0]
    return results


def apis(clients: Sequence[TestClient], tenant: str, token: str) -> list[Api]:  # type: ignore[type-arg]
    """One API wrapper per server."""
    return [Api(client, tenant, token) for client in clients]


__all__ = ["apis", "run_threads", "servers"]
