"""The runtime: engines, the tenant registry, and compiled apps cached per tenant version.

:class:`Runtime` (runtime/core.py) is one process's view of the platform; invalidation
messages between processes are in runtime/invalidation.py.
"""

from __future__ import annotations

from trellis.platform.runtime.app_runtime import AppRuntime, PartKey
from trellis.platform.runtime.core import Runtime, TenantNotFoundError

__all__ = ["AppRuntime", "PartKey", "Runtime", "TenantNotFoundError"]
