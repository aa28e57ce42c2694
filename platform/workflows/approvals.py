"""The ``_approvals`` table: transitions waiting for a user with the approving role.

A row is ``pending`` until a user with the role approves it (``approved``, then the
transition runs in the same transaction) or rejects it (``rejected``). At most one
row per record and workflow is pending (a partial unique index guards it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import APPROVALS_TABLE
from trellis.platform.records.compiled import CompiledApp
from trellis.platform.records.values import to_json
from trellis.tenants.registry import inserted_id

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


@dataclass(frozen=True, slots=True)
class Approval:
    """One approval request."""

    id: int
    entity: str
    record_id: int
    workflow: str
    transition: str
    role: str
    status: str
    data: dict[str, Any]
    requested_by: int | None
    requested_at: datetime
    decided_by: int | None
    decided_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The request as the API shows it."""
        return {
            "id": self.id,
            "workflow": self.workflow,
            "transition": self.transition,
            "role": self.role,
            "status": self.status,
            "data": self.data,
            "requested_by": self.requested_by,
            "requested_at": to_json(self.requested_at, None),
            "decided_by": self.decided_by,
            "decided_at": to_json(self.decided_at, None),
        }


def approvals_table(app: CompiledApp) -> sa.Table:
    """The tenant's ``_approvals`` table."""
    return app.metadata.tables[APPROVALS_TABLE]


def pending_approval(
    conn: sa.Connection, app: CompiledApp, entity: str, record_id: int, workflow: str
) -> Approval | None:
    """The pending approval of a record in ``workflow``, if any."""
    t = approvals_table(app)
    row = conn.execute(
        sa.select(t).where(
            t.c.entity == entity,
            t.c.record_id == record_id,
            t.c.workflow == workflow,
            t.c.status == PENDING,
        )
    ).first()
    return Approval(**row._mapping) if row is not None else None


def request_approval(
    conn: sa.Connection,
    app: CompiledApp,
    *,
    entity: str,
    record_id: int,
    workflow: str,
    transition: str,
    role: str,
    data: dict[str, Any],
    user_id: int | None,
    now: datetime,
) -> Approval:
    """Record a pending approval and return it."""
    values: dict[str, Any] = {
        "entity": entity,
        "record_id": record_id,
        "workflow": workflow,
        "transition": transition,
        "role": role,
        "status": PENDING,
        "data": data,
        "requested_by": user_id,
        "requested_at": now,
        "decided_by": None,
        "decided_at": None,
    }
    result = conn.execute(approvals_table(app).insert().values(**values))
    return Approval(id=inserted_id(result), **values)


def decide(
    conn: sa.Connection,
    app: CompiledApp,
    approval: Approval,
    status: str,
    user_id: int | None,
    now: datetime,
) -> bool:
    """Mark a pending approval ``approved`` or ``rejected``; False if it was decided meanwhile."""
    t = approvals_table(app)
    result = conn.execute(
        t.update()
        .where(t.c.id == approval.id, t.c.status == PENDING)
        .values(status=status, decided_by=user_id, decided_at=now)
    )
    return result.rowcount == 1


__all__ = [
    "APPROVED",
    "PENDING",
    "REJECTED",
    "Approval",
    "approvals_table",
    "decide",
    "pending_approval",
    "request_approval",
]
