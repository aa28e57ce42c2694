"""The ``export`` outbox handler's entry point: runs a queued export as the member who asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.authz.member_calls import member_calls
from trellis.platform.exports.jobs import run_export_job

if TYPE_CHECKING:
    from trellis.platform.runtime import Runtime


def run_queued_export(runtime: Runtime, tenant: str, payload: dict[str, Any]) -> None:
    """Run the export of an ``export`` outbox row (see ``jobs.run_export_job``)."""
    run_export_job(runtime, member_calls(runtime), tenant, payload)


__all__ = ["run_queued_export"]
