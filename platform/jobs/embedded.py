"""The job thread: runs the dispatcher every ``interval`` seconds, and at once on news.

It is the default of ``trellis serve`` (no Redis needed; with Redis it claims rows
and enqueues them for ``trellis worker``). Outbox rows stay the source of truth, so
stopping the process loses nothing: due rows wait for the next start, and a row
claimed by a dead worker is claimed again after its lease.

Two things shorten the wait: a commit that wrote outbox rows in this process wakes
the thread for that tenant (``EngineRegistry.on_outbox_commit``), and a round in
which a tenant filled a whole batch is followed by another round straight away.
"""

from __future__ import annotations

import logging
import threading
import time

from trellis.platform.jobs.dispatcher import Dispatcher

LOG = logging.getLogger("trellis.jobs")
#: Seconds between rounds while some tenant has more due (or is at its cap).
BUSY_PAUSE = 0.005


class EmbeddedWorker:
    """Runs ``dispatcher`` in a daemon thread every ``interval`` seconds and on wake-ups."""

    def __init__(self, dispatcher: Dispatcher, *, interval: float = 1.0) -> None:
        self.dispatcher = dispatcher
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._woken: set[str] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="trellis-jobs", daemon=True)

    def start(self) -> EmbeddedWorker:
        """Start the thread, listening to this process's outbox commits; returns self."""
        self.dispatcher.runtime.engines.on_outbox_commit(self.wake)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait for the current round."""
        self.dispatcher.runtime.engines.remove_outbox_listener(self.wake)
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wake(self, tenant: str) -> None:
        """Run ``tenant``'s due jobs now rather than at the next tick."""
        with self._lock:
            self._woken.add(tenant)
        self._wake.set()

    def _take_woken(self) -> list[str]:
        with self._lock:
            self._wake.clear()
            woken, self._woken = self._woken, set()
        return sorted(woken)

    def _loop(self) -> None:
        next_round = 0.0
        while not self._stop.is_set():
            woken = self._take_woken()
            busy = False
            try:
                # One batch per tenant per round: fair between tenants.
                if time.monotonic() >= next_round:
                    next_round = time.monotonic() + self.interval
                    busy = bool(self.dispatcher.run_due(drain=False).busy)
                elif woken:
                    busy = bool(self.dispatcher.run_tenants(woken, drain=False, timers=False).busy)
            except Exception:  # the loop must survive anything
                LOG.exception("job round failed")
            if busy:
                next_round = 0.0  # more is due: another full round almost at once
                self._wake.wait(BUSY_PAUSE)
                continue
            self._wake.wait(max(0.0, next_round - time.monotonic()))


__all__ = ["EmbeddedWorker"]
