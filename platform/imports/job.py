"""The ``import`` outbox handler: runs a queued import as the member who started it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.platform.imports.background import run_import_job
from trellis.platform.services.caller import Callers

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime


def run_queued_import(runtime: Runtime, tenant: str, payload: dict[str, Any]) -> None:
    """Run the import of an ``import`` outbox row (see ``background.run_import_job``)."""
    callers = Callers(runtime)

    def call_of(name: str, user_id: int | None) -> Call | None:
        if user_id is None:
            return None
        identity = runtime.registry.member_identity(name, int(user_id))
        return None if identity is None else callers.call_as(name, identity)

    run_import_job(runtime, call_of, tenant, payload)


__all__ = ["run_queued_import"]
