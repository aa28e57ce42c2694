"""Audit rows of hard deletes: one per purged record, by a member or by the retention job."""

from __future__ import annotations

from datetime import datetime

from trellis.platform.recycle.purge import Purged
from trellis.platform.recycle.retention import OnPurged
from trellis.platform.runtime import AppRuntime, Runtime

#: The audit action of a hard delete, and the actor the retention job records.
PURGE_ACTION = "record.purge"
RETENTION_ACTOR = "retention"


def purge_detail(purged: Purged, reason: str) -> dict[str, object]:
    """The audit detail of one purge: why, and what went with the record."""
    taken = [f"{entity}:{record_id}" for entity, record_id in purged.taken]
    return {"reason": reason, "taken": taken, "count": purged.count}


def purge_auditor(runtime: Runtime, rt: AppRuntime) -> OnPurged:
    """Records every purge of the retention job in the tenant's audit log."""

    def audit(purged: list[Purged], _now: datetime) -> None:
        for item in purged:
            runtime.registry.audit.record(
                rt.tenant_id,
                PURGE_ACTION,
                actor=RETENTION_ACTOR,
                target=f"{item.entity}:{item.record_id}",
                detail=purge_detail(item, "retention"),
            )

    return audit


__all__ = ["PURGE_ACTION", "RETENTION_ACTOR", "purge_auditor", "purge_detail"]
