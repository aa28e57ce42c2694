"""The embedded worker: a daemon thread running the dispatcher every second.

It is the default of ``trellis serve`` (no Redis needed). Outbox rows stay the
source of truth, so stopping the process loses nothing: due rows wait for the
next start, and a row claimed by a dead worker is claimed again after its lease.
"""

from __future__ import annotations

import logging
import threading

from trellis.platform.jobs.dispatcher import Dispatcher

LOG = logging.getLogger("trellis.jobs")


class EmbeddedWorker:
    """Runs ``dispatcher`` in a daemon thread every ``interval`` seconds."""

    def __init__(self, dispatcher: Dispatcher, *, interval: float = 1.0) -> None:
        self.dispatcher = dispatcher
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="trellis-jobs", daemon=True)

    def start(self) -> EmbeddedWorker:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait for the current round."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                # One batch per tenant per round: fair between tenants.
                self.dispatcher.run_due(drain=False)
            except Exception:  # the loop must survive anything
                LOG.exception("embedded job round failed")
            self._stop.wait(self.interval)


__all__ = ["EmbeddedWorker"]
