"""A dispatcher process that claims due outbox rows and hangs before handing them to RQ.

Run by ``test_crash_dispatcher.py``: ``python crash_dispatcher_child.py QUEUE MARKER``
with the ``TRELLIS_*`` settings of the test's databases. Once its claims are committed
it creates MARKER and waits, in the hand-off, to be killed with ``kill -9``.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from rq import Queue

from trellis.platform.config import RuntimeConfig
from trellis.platform.jobs import Job, JobContext, JobPolicy
from trellis.platform.jobs.dispatcher import TenantReport
from trellis.platform.jobs.outbox import Outbox
from trellis.platform.jobs.rqueue import RedisDispatcher, connect
from trellis.platform.runtime import Runtime


class HangingDispatcher(RedisDispatcher):
    """Claims like the real one, then stops between the claim and the hand-off."""

    marker: Path

    def _hand_over(
        self,
        ctx: JobContext,
        outbox: Outbox,
        jobs: list[Job],
        at: datetime | None,
        report: TenantReport,
    ) -> None:
        if not jobs:
            return
        # temp + rename: the test polls for the marker and must never read it half-written
        partial = self.marker.with_suffix(".partial")
        partial.write_text(",".join(f"{j.id}:{j.attempts}" for j in jobs))
        partial.replace(self.marker)
        while True:  # the test kills this process here
            time.sleep(0.1)


def main(queue_name: str, marker: str, redis_url: str) -> None:
    runtime = Runtime(RuntimeConfig.from_env())
    dispatcher = HangingDispatcher(
        runtime, Queue(queue_name, connection=connect(redis_url)), policy=JobPolicy(lease=1.0)
    )
    dispatcher.marker = Path(marker)
    dispatcher.run_due()


if __name__ == "__main__":
    main(*sys.argv[1:4])
