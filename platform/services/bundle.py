"""Every application service of one runtime, built once per process."""

from __future__ import annotations

from trellis.platform.authz import Authorizer
from trellis.platform.authz.call import Call
from trellis.platform.documents.service import DocumentsService
from trellis.platform.runtime import Runtime
from trellis.platform.services.caller import Callers
from trellis.platform.services.files import FilesService
from trellis.platform.services.history import HistoryService
from trellis.platform.services.members import MembersService
from trellis.platform.services.merges import MergesService
from trellis.platform.services.reads import ReadsService
from trellis.platform.services.records import RecordsService
from trellis.platform.services.recycle_bin import RecycleBinService
from trellis.platform.services.workflows import WorkflowsService
from trellis.tenants.registry import TokenIdentity


class Services:
    """The services of one runtime: callers, records, reads, workflows, members, documents."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.callers = Callers(runtime)
        self.records = RecordsService(runtime)
        self.reads = ReadsService(runtime)
        self.workflows = WorkflowsService(runtime)
        self.members = MembersService(runtime, self.callers.authz)
        self.files = FilesService(runtime)
        self.documents = DocumentsService(runtime, self.records, self.files)
        self.history = HistoryService(runtime)
        self.recycle_bin = RecycleBinService(runtime)
        self.merges = MergesService(runtime)

    @property
    def authz(self) -> Authorizer:
        """The authorizer deciding what each caller's roles allow."""
        return self.callers.authz

    def call_as(self, tenant: str, identity: TokenIdentity) -> Call:
        """A call of an authenticated ``identity`` on ``tenant`` (see :class:`Callers`)."""
        return self.callers.call_as(tenant, identity)


__all__ = ["Services"]
