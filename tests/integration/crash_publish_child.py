"""``trellis publish`` that kills itself (SIGKILL) right after its first write commit.

Run by ``test_crash_server.py``: ``python crash_publish_child.py TENANT PACKAGE`` with
the ``TRELLIS_*`` settings of the test's databases. It lands a crash exactly between
two commits of a publish, if the publish has two.
"""

from __future__ import annotations

import os
import signal
import sys

from sqlalchemy.engine.base import RootTransaction

from trellis.platform.config import RuntimeConfig
from trellis.platform.db.engines import WRITE_OPTION
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime


def main(tenant: str, package: str) -> None:
    runtime = Runtime(RuntimeConfig.from_env())
    commit = RootTransaction.commit

    def commit_then_die(self: RootTransaction) -> None:
        wrote = self.connection.get_execution_options().get(WRITE_OPTION, False)
        commit(self)
        if wrote:
            os.kill(os.getpid(), signal.SIGKILL)

    RootTransaction.commit = commit_then_die  # type: ignore[method-assign]
    publish(runtime, tenant, package)


if __name__ == "__main__":
    main(*sys.argv[1:3])
