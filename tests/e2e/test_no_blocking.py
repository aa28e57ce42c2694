"""No request blocks another: one waiting in the database leaves the others answering.

Tenant A's request is held inside the database by a lock taken from a separate
connection; while it waits, ``/health``, a read by id and a screen page of tenant B must
answer (the handlers run in Litestar's thread pool, not on the event loop). Then the
lock is released and the held request must complete normally. Assertions are about
order (which request answered while which was pending), never about wall-clock limits.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
from litestar.handlers import HTTPRouteHandler
from litestar.utils.sync import AsyncCallable

from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from nonblocking_support import (
    HELD,
    Setup,
    api,
    create_held,
    held_account_table,
    probes,
    serve,
    start,
    wait_for,
)


@pytest.fixture
def setup(runtime: Runtime) -> Iterator[Setup]:
    served = serve(runtime)
    yield served
    served.close()


def test_a_request_waiting_in_the_database_blocks_no_other(runtime: Runtime, setup: Setup) -> None:
    with held_account_table(runtime) as waiting:
        held = start(create_held(setup))
        wait_for(waiting, 30, "the held request to wait for the lock")
        running = {name: start(send) for name, send in probes(setup).items()}
        # Probes failing to answer at all (a blocked event loop) fail here, after which
        # the lock is released so the server can unwind.
        wait_for(lambda: all(p.done for p in running.values()), 30, "the probes")
        assert not held.done, "the held request ended before its lock was released"
        for name, probe in running.items():
            assert probe.error is None, f"{name}: {probe.error!r}"
            assert probe.response is not None
            assert probe.response.status_code == 200, f"{name}: {probe.response.text}"
        assert running["GET tenant B account by id"].response.json()["name"] == "Probe Ltd"
        assert "Probe Ltd" in running["GET tenant B screen (account list)"].response.text
        assert running["GET /health"].response.json() == {"status": "ok"}
    wait_for(lambda: held.done, 30, "the held request after the release")
    assert held.error is None, repr(held.error)
    assert held.response is not None
    assert held.response.status_code == 201, held.response.text
    record = held.response.json()
    again = api(setup, HELD).get(f"account/{record['id']}")
    assert again.status_code == 200
    assert again.json()["name"] == "Held Corp"


#: Coroutines by design: they read the request body as it streams in, and hand every
#: database and file step to threads (platform/files/receive.py, ``sync_to_thread``):
#: file uploads, import uploads (API) and the import wizard's upload (screens).
STREAMING = frozenset({"upload_file", "start_import", "upload"})


def test_every_handler_of_ours_runs_in_the_thread_pool(runtime: Runtime) -> None:
    """No Trellis handler is a coroutine (it would run on the loop), none is wrapped twice."""
    on_loop, twice, threaded = [], [], []
    for route in create_web_app(runtime).routes:
        for handler in getattr(route, "route_handlers", ()):
            assert isinstance(handler, HTTPRouteHandler)
            fn = handler.fn
            if isinstance(fn, AsyncCallable):
                threaded.append(handler.handler_name)
                if isinstance(fn.func, AsyncCallable):
                    twice.append(f"{route.path} {handler.handler_name}")
            elif (
                fn.__module__.startswith("trellis.")
                and inspect.iscoroutinefunction(fn)
                and handler.handler_name not in STREAMING
            ):
                on_loop.append(f"{route.path} {handler.handler_name}")
    assert on_loop == []
    assert twice == []
    assert {"read_record", "create_record", "list_page", "login_submit"} <= set(threaded)
