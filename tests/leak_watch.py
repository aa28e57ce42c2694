"""Name the test module that leaves a database connection open.

A psycopg connection (or a file, a socket) garbage-collected while still open is reported by
whichever test happens to run when the collector does, far from the leak. At the end
of every module this collects once and reports each such connection as a warning that
names the module, in the run's warnings summary (xdist forwards it), without failing.
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest


def _collect_leaks() -> list[str]:
    """Collect garbage; return what the collected objects' finalisers complained about."""
    found: list[str] = []
    previous = sys.unraisablehook

    def record(report: Any) -> None:
        found.append(f"{report.exc_value!r} in {report.object!r}")

    sys.unraisablehook = record
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            gc.collect()
    finally:
        sys.unraisablehook = previous
    return found


@pytest.fixture(scope="module", autouse=True)
def _connection_leak_watch(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    leaks = _collect_leaks()
    if leaks:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(
                f"{request.node.nodeid} (or a module before it) left {len(leaks)} resource(s) open "
                f"(a database connection, a file, a socket): {leaks[0]}",
                ResourceWarning,
                stacklevel=1,
            )
