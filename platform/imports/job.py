"""The ``import`` outbox handler: runs a queued import as the member who started it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.authz.member_calls import member_calls
from trellis.platform.imports.background import run_import_job

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def run_queued_import(runtime: Runtime, tenant: str, payload: dict[str, Any]) -> None:
    """Run the import of an ``import`` outbox row (see ``background.run_import_job``)."""
    run_import_job(runtime, member_calls(runtime), tenant, payload)


__all__ = ["run_queued_import"]
