"""The per-tenant delivery log: every email and webhook attempt with its outcome.

Rows are written by the job handlers in their own short transaction after each
try (``sent``/``failed``), so a failure that is retried shows one row per try.
``GET /t/{t}/api/_emails`` and ``GET /t/{t}/api/_webhooks`` read them (admins).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.db.tables import DELIVERIES_TABLE
from trellis.platform.records.values import as_utc

SENT = "sent"
FAILED = "failed"
#: Not attempted on purpose (a webhook to a ``.invalid`` host: a disabled placeholder).
SKIPPED = "skipped"
STATUSES = (SENT, FAILED, SKIPPED)
#: Longest stored error text.
MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver an email or a webhook."""

    kind: str
    job_id: int | None
    attempt: int
    status: str
    target: str | None = None
    subject: str | None = None
    template: str | None = None
    rule: str | None = None
    entity: str | None = None
    record_id: int | None = None
    error: str | None = None


def record_delivery(
    conn: sa.Connection, metadata: sa.MetaData, delivery: Delivery, at: datetime
) -> None:
    """Append one attempt to the log (call in a write transaction)."""
    table = metadata.tables[DELIVERIES_TABLE]
    conn.execute(
        table.insert().values(
            kind=delivery.kind,
            job_id=delivery.job_id,
            attempt=delivery.attempt,
            status=delivery.status,
            target=(delivery.target or "")[:2000] or None,
            subject=delivery.subject,
            template=delivery.template,
            rule=delivery.rule,
            entity=delivery.entity,
            record_id=delivery.record_id,
            error=delivery.error[:MAX_ERROR] if delivery.error else None,
            at=at,
        )
    )


def list_deliveries(
    conn: sa.Connection,
    metadata: sa.MetaData,
    kind: str,
    *,
    status: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Attempts of ``kind`` (``email`` or ``webhook``) as JSON, newest first."""
    t = metadata.tables[DELIVERIES_TABLE]
    query = sa.select(t).where(t.c.kind == kind).order_by(t.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(t.c.status == status)
    out: list[dict[str, Any]] = []
    for row in conn.execute(query):
        item = dict(row._mapping)
        item["at"] = as_utc(item["at"]).isoformat().replace("+00:00", "Z")
        if kind == "email":
            item["to"] = item.pop("target")
        else:
            item["url"] = item.pop("target")
            item.pop("subject")
            item.pop("template")
        out.append(item)
    return out


__all__ = [
    "FAILED",
    "SENT",
    "SKIPPED",
    "STATUSES",
    "Delivery",
    "list_deliveries",
    "record_delivery",
]
